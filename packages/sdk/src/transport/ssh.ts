import { performance } from 'node:perf_hooks'
import ssh2 from 'ssh2'
import { CloudError, isCloudError, throwIfAborted } from '../core/errors.js'
import { defineTransport } from './exec.js'
import { assertArgv, quoteWord, shellQuote } from './quote.js'
import { ChannelLimiter, runOnChannel } from './ssh-channel.js'
import { SshConnection } from './ssh-connection.js'
import { hostKeyVerifier, sshFingerprint } from './ssh-host-key.js'
import { assertEnv, watchCommand } from './supervise.js'
import type { RunOptions, RunResult, Transport } from './types.js'

export { sshFingerprint }

/** Options of {@link sshTransport}. One of the host key options is required. */
export interface SshTransportOptions {
  /** Host name or address. */
  host: string
  /** Default 22. */
  port?: number
  /** Remote user. */
  username: string
  /** Private key (OpenSSH or PEM text). */
  privateKey?: string | Buffer
  /** Passphrase of an encrypted `privateKey`. */
  passphrase?: string
  /** Password, when the host allows password authentication. */
  password?: string
  /**
   * The host keys to trust: SHA-256 fingerprints (`SHA256:…`, as `ssh-keygen -l` prints) or OpenSSH public key
   * lines (`ssh-ed25519 AAAA…`). Several are allowed for key rotation.
   */
  hostKey?: string | readonly string[]
  /** Custom decision on the server's raw host key blob (e.g. a known_hosts lookup). */
  hostVerifier?: (key: Buffer) => boolean
  /** Accept any host key. Only for throw-away test hosts: it makes man-in-the-middle attacks trivial. */
  insecureSkipHostKeyCheck?: boolean
  /** Time allowed for TCP connect, handshake and authentication; default 10 000 ms. */
  connectTimeoutMs?: number
  /** SSH keepalives: interval (default 15 000 ms) and unanswered count before dropping (default 3); false disables. */
  keepalive?: { intervalMs?: number; countMax?: number } | false
  /** Concurrent commands (SSH channels) on the connection, default 8; more wait their turn. */
  maxChannels?: number
  /** Idle time after which the connection is closed (reopened on demand), default 30 000 ms; 0 keeps it. */
  idleTimeoutMs?: number
}

/**
 * Runs commands on a remote host over one reused SSH connection (ssh2). SSH exec carries a command string,
 * so each argv element is single-quoted for the remote POSIX shell (see {@link shellQuote}); no argument can
 * become shell syntax. `env` is passed as quoted assignments and `cwd` by a quoted `cd`.
 *
 * The host key must be pinned (`hostKey`, `hostVerifier`) or the check explicitly skipped — never silently.
 * Errors: unreachable host → `UNAVAILABLE` (retryable); bad host key or credentials → `DRIVER_FAILED`.
 * On timeout or abort the remote command gets SIGKILL (if the server honours signal requests) and its channel
 * is closed. The remote login shell must be POSIX (sh, bash, dash…): the quoting is POSIX quoting.
 */
export function sshTransport(options: SshTransportOptions): Transport {
  const connection = new SshConnection({
    host: options.host,
    port: options.port ?? 22,
    username: options.username,
    privateKey: options.privateKey,
    passphrase: options.passphrase,
    password: options.password,
    verifyHostKey: hostKeyVerifier(options),
    connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    keepaliveIntervalMs: options.keepalive === false ? 0 : (options.keepalive?.intervalMs ?? 15_000),
    keepaliveCountMax: options.keepalive === false ? 3 : (options.keepalive?.countMax ?? 3),
    idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
  })
  if (options.privateKey !== undefined) {
    const parsed = ssh2.utils.parseKey(options.privateKey, options.passphrase)
    if (parsed instanceof Error) {
      throw new CloudError('INVALID', `Invalid SSH private key for ${connection.target}: ${parsed.message}`)
    }
  }
  const limiter = new ChannelLimiter(options.maxChannels ?? 8)
  const host = `ssh ${connection.target}`
  return defineTransport({
    describe: () => host,
    run: (argv, runOptions = {}) => runRemote(connection, limiter, host, argv, runOptions),
    close: () => connection.close(),
  })
}

async function runRemote(
  connection: SshConnection,
  limiter: ChannelLimiter,
  host: string,
  argv: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  assertArgv(argv)
  assertEnv(options.env)
  const command = remoteCommand(argv, options)
  const program = argv[0] as string
  const what = `command '${program}' on ${host}`
  throwIfAborted(options.signal, what)
  // The timeout and the signal cover the whole call: waiting for a channel, connecting and running.
  const stop = new AbortController()
  const watch = watchCommand(options, what, (error) => stop.abort(error))
  let release: (() => void) | undefined
  try {
    release = await limiter.acquire(stop.signal)
    const started = performance.now()
    for (let attempt = 1; ; attempt++) {
      const client = await connection.acquire(stop.signal)
      try {
        const result = await runOnChannel(client, command, { ...options, program, host, stop: stop.signal })
        return { ...result, durationMs: Math.round(performance.now() - started) }
      } catch (error) {
        // A reused connection may have died unnoticed; the command never started, so one retry on a fresh
        // connection is safe and turns "not connected" into the real reason (refused, timed out…).
        if (attempt > 1 || !isCloudError(error) || error.details?.started !== false) throw error
        connection.discard(client)
      } finally {
        connection.release()
      }
    }
  } finally {
    watch.disarm()
    release?.()
  }
}

/** The remote command line: `cd` and env assignments (names are validated, values quoted), then the argv. */
function remoteCommand(argv: readonly string[], options: RunOptions): string {
  const assignments = Object.entries(options.env ?? {}).map(([name, value]) => `${name}=${quoteWord(value)} `)
  const line = `${assignments.join('')}${shellQuote(argv)}`
  if (options.cwd === undefined) return line
  // A leading dash would be read as an option of `cd`.
  const dir = options.cwd.startsWith('-') ? `./${options.cwd}` : options.cwd
  return `cd ${quoteWord(dir)} && ${line}`
}
