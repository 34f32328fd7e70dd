import { readFileSync } from 'node:fs'
import {
  CloudError,
  type ErrorResource,
  isCloudError,
  localTransport,
  type RunResult,
  type Transport,
} from '@nubis/sdk'

/** How the Ceph command-line tools reach a cluster: the options every Ceph driver takes. */
export interface CephClientOptions {
  /** The cluster's `ceph.conf`; default: Ceph's own search (`CEPH_CONF`, `/etc/ceph/ceph.conf`…). */
  conf?: string
  /** Keyring holding the user's key; default: the one the conf names. */
  keyring?: string
  /** The cephx user id, without `client.`; default `admin`. */
  user?: string
  /** Bound on each metadata command (info, snap, rename, rm…) in ms; default 30000. */
  timeoutMs?: number
  /**
   * How long a command may look for a monitor before it gives up, in ms; default 5000. This is what makes an
   * unreachable cluster fail in seconds (`UNAVAILABLE`) rather than after Ceph's default of 5 minutes.
   */
  connectTimeoutMs?: number
  /** Bound on each single monitor or OSD request in ms, so a stuck cluster fails too; default 10000. */
  opTimeoutMs?: number
}

/** What a failed command was doing, for its error. */
export interface CommandContext {
  /** Short description for the message, e.g. `delete image data 42`. */
  what: string
  /** The resource concerned. */
  resource?: ErrorResource
  /** The error for exit status 2 (ENOENT), when it means more than NOT_FOUND here. */
  onMissing?: (message: string) => CloudError
  /** Message of CONFLICT for status 16 (EBUSY). */
  busy?: string
  /** Whether that CONFLICT may pass by itself (an image open by a crashed client is, after 30 s). */
  busyRetryable?: boolean
}

/** The Ceph tools as one driver calls them: fixed connection options, bounded time, errors mapped. */
export interface CephCli {
  /** The arguments every call starts with (conf, keyring, user, time bounds). */
  readonly common: readonly string[]
  /** Environment for the tools: our conf and keyring, so another cluster's `CEPH_CONF` cannot win. */
  readonly env: Readonly<Record<string, string>>
  /** The conf file to read settings such as the fsid from, if one is known. */
  readonly confPath: string | undefined
  /** Runs a metadata command (`rbd …`, `ceph …`) and reports how it ended. */
  run(program: 'rbd' | 'ceph', args: readonly string[], signal?: AbortSignal): Promise<RunResult>
  /** Runs a command that must succeed (or exit with one of `okCodes`); other exits become CloudErrors. */
  exec(
    program: 'rbd' | 'ceph',
    args: readonly string[],
    context: CommandContext,
    options?: { signal?: AbortSignal | undefined; okCodes?: readonly number[] },
  ): Promise<RunResult>
}

/** Builds the {@link CephCli} of a driver from its options. */
export function cephCli(options: CephClientOptions, driver: string): CephCli {
  const seconds = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)))
  const connect = seconds(options.connectTimeoutMs ?? 5_000)
  const op = seconds(options.opTimeoutMs ?? 10_000)
  const identity = [
    ...(options.conf ? ['-c', options.conf] : []),
    ...(options.keyring ? ['--keyring', options.keyring] : []),
    '--id',
    options.user ?? 'admin',
  ]
  const common = [
    ...identity,
    '--client_mount_timeout',
    connect,
    '--rados_mon_op_timeout',
    op,
    '--rados_osd_op_timeout',
    op,
  ]
  // Each tool reads CEPH_CONF and CEPH_KEYRING, and CEPH_KEYRING beats the keyring a conf names: set both to
  // ours so that variables of some other cluster in the environment are never used.
  const env: Record<string, string> = {
    ...(options.conf && { CEPH_CONF: options.conf }),
    ...(options.keyring && { CEPH_KEYRING: options.keyring }),
  }
  const timeoutMs = options.timeoutMs ?? 30_000
  const transport: Transport = localTransport()

  const run = async (program: 'rbd' | 'ceph', args: readonly string[], signal?: AbortSignal) => {
    // The python `ceph` tool takes its own connect timeout; `rbd` takes Ceph's config options.
    const argv = program === 'ceph' ? ['ceph', ...identity, '--connect-timeout', connect] : ['rbd', ...common]
    try {
      return await transport.run([...argv, ...args], { timeoutMs, env, ...(signal && { signal }) })
    } catch (error) {
      if (isCloudError(error, 'TIMEOUT') && !signal?.aborted) {
        throw new CloudError(
          'UNAVAILABLE',
          `Ceph did not answer \`${program} ${args[0]}\` within ${timeoutMs} ms`,
          {
            retryable: true,
            driver,
            cause: error,
          },
        )
      }
      throw error
    }
  }

  return {
    common,
    env,
    confPath: options.conf ?? process.env.CEPH_CONF ?? '/etc/ceph/ceph.conf',
    run,
    async exec(program, args, context, execOptions = {}) {
      const result = await run(program, args, execOptions.signal)
      const code = result.exitCode
      if (code === 0) return result
      // A missing keyring fails the connection with ENOENT: that 2 is no missing image.
      const ok = code !== null && execOptions.okCodes?.includes(code) && !connectFailed(result.stderr)
      if (ok) return result
      throw cephError(code, result.stderr, context, driver)
    },
  }
}

/** Errnos that mean the cluster could not be reached or did not answer in time. */
const UNREACHABLE = new Set([
  4 /* EINTR */, 107 /* ENOTCONN */, 108 /* ESHUTDOWN */, 110 /* ETIMEDOUT */, 111,
])

/**
 * Turns the exit of a Ceph tool into a CloudError. `rbd` and `rados` exit with the errno of what failed, so
 * the status says what happened; stderr tells a failed connection (whose errno may be ENOENT for a missing
 * keyring) from a failed operation.
 */
export function cephError(
  code: number | null,
  stderr: string,
  context: CommandContext,
  driver: string,
): CloudError {
  const detail = lastLines(stderr)
  const details = { exitCode: code, stderr: detail }
  const base = { driver, details, ...(context.resource && { resource: context.resource }) }
  const failed = (why: string) =>
    new CloudError('DRIVER_FAILED', `Ceph could not ${context.what}: ${why}`, { ...base, retryable: false })
  if (connectFailed(stderr)) {
    if (code === 13) return failed(`the cluster refused the credentials (cephx): ${detail}`)
    if (code === 2) return failed(`no keyring: ${detail}`)
    return new CloudError('UNAVAILABLE', `Ceph cannot be reached to ${context.what}: ${detail}`, {
      ...base,
      retryable: true,
    })
  }
  if (code !== null && UNREACHABLE.has(code)) {
    return new CloudError('UNAVAILABLE', `Ceph did not answer to ${context.what}: ${detail}`, {
      ...base,
      retryable: true,
    })
  }
  if (code === 2) {
    const message = `Ceph could not ${context.what}: it does not exist (${detail})`
    return context.onMissing?.(message) ?? new CloudError('NOT_FOUND', message, base)
  }
  if (code === 16 && context.busy) {
    return new CloudError('CONFLICT', context.busy, { ...base, retryable: context.busyRetryable ?? false })
  }
  if (code === 16 || code === 17 || code === 39) {
    return new CloudError('CONFLICT', `Ceph could not ${context.what}: ${detail}`, base)
  }
  return failed(code === null ? `the command was killed: ${detail}` : `exit status ${code}: ${detail}`)
}

/** True when a tool's stderr says it never got a session with the cluster. */
function connectFailed(stderr: string): boolean {
  return /couldn't connect to the cluster|error connecting to the cluster/i.test(stderr)
}

/** The fsid a conf file names, if it can be read and names one. */
export function fsidFromConf(path: string | undefined): string | undefined {
  if (!path) return undefined
  try {
    return /^\s*fsid\s*=\s*([0-9a-fA-F-]{36})\s*$/m.exec(readFileSync(path, 'utf8'))?.[1]?.toLowerCase()
  } catch {
    return undefined
  }
}

/** The last lines of a tool's stderr, without Ceph's timestamped log prefixes, for messages. */
function lastLines(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.replace(/^\S+T\S+ [0-9a-f]+ +-?\d+ /, '').trim())
    .filter((line) => line !== '')
  return lines.slice(-3).join(' | ').slice(0, 600) || '(no output)'
}
