import ssh2 from 'ssh2'
import { CloudError } from '../core/errors.js'
import { sshFingerprint } from './ssh-host-key.js'

/** How long {@link SshConnection.close} waits for a clean disconnect before dropping the socket. */
const CLOSE_TIMEOUT_MS = 2000

/** Everything needed to open one SSH connection, with defaults resolved. */
export interface SshConnectConfig {
  host: string
  port: number
  username: string
  privateKey?: string | Buffer
  passphrase?: string
  password?: string
  /** Decides on the server's host key blob; `undefined` only with an explicit insecure opt-out. */
  verifyHostKey: ((key: Buffer) => boolean) | undefined
  connectTimeoutMs: number
  keepaliveIntervalMs: number
  keepaliveCountMax: number
  /** Closes the connection after this long without commands; 0 keeps it open until `close()`. */
  idleTimeoutMs: number
}

/**
 * One SSH connection shared by all commands of a transport: opened on first use, reopened on the next
 * command after it drops, and closed when idle so a forgotten transport does not keep the process alive.
 */
export class SshConnection {
  private current: Promise<ssh2.Client> | undefined
  private ready: ssh2.Client | undefined
  private active = 0
  private idleTimer: NodeJS.Timeout | undefined
  private closed = false

  constructor(private readonly config: SshConnectConfig) {}

  /** `user@host:port`, for messages. */
  get target(): string {
    return `${this.config.username}@${this.config.host}:${this.config.port}`
  }

  /**
   * The connected client, connecting first if needed; rejects with the signal's reason if it fires first.
   * Pair every successful call with {@link SshConnection.release}.
   */
  async acquire(signal: AbortSignal): Promise<ssh2.Client> {
    if (this.closed) {
      throw new CloudError('DRIVER_FAILED', `The SSH transport to ${this.target} is closed`, {
        retryable: false,
      })
    }
    if (signal.aborted) throw signal.reason
    this.active++
    clearTimeout(this.idleTimer)
    this.current ??= this.connect()
    const attempt = this.current
    try {
      return await raceAbort(attempt, signal)
    } catch (error) {
      // A failed attempt is forgotten so the next command tries again; an abandoned one may still succeed.
      if (this.current === attempt && !signal.aborted) this.current = undefined
      this.release()
      throw error
    }
  }

  /** Drops `client` after a failure that shows it is dead, so the next {@link acquire} reconnects. */
  discard(client: ssh2.Client): void {
    if (this.ready === client) {
      this.current = undefined
      this.ready = undefined
    }
    client.end()
  }

  /** Marks one command done; the last one out starts the idle timer. */
  release(): void {
    this.active--
    if (this.active > 0 || this.config.idleTimeoutMs === 0 || !this.current) return
    const idle = this.current
    this.idleTimer = setTimeout(() => {
      if (this.current !== idle || this.active > 0) return
      this.current = undefined
      idle.then(
        (client) => client.end(),
        () => {},
      )
    }, this.config.idleTimeoutMs)
    this.idleTimer.unref()
  }

  /** Ends the connection; later commands fail. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.idleTimer)
    const current = this.current
    this.current = undefined
    const client = await current?.catch(() => undefined)
    // A client that already closed would never emit 'close' again.
    if (!client || this.ready !== client) return
    await new Promise<void>((resolve) => {
      client.once('close', () => resolve())
      client.end()
      // A peer that never answers the disconnect must not hold close() forever.
      setTimeout(() => client.destroy(), CLOSE_TIMEOUT_MS).unref()
    })
  }

  private connect(): Promise<ssh2.Client> {
    const { config } = this
    const client = new ssh2.Client()
    let rejectedKey: Buffer | undefined
    const attempt = new Promise<ssh2.Client>((resolve, reject) => {
      let ready = false
      client.on('error', (error: Error & { level?: string; code?: string }) => {
        if (!ready) reject(this.connectFailed(error, rejectedKey))
      })
      client.once('ready', () => {
        ready = true
        this.ready = client
        resolve(client)
      })
      client.on('close', () => {
        // Forget a dropped connection so the next command reconnects.
        if (this.current === attempt) this.current = undefined
        if (this.ready === client) this.ready = undefined
        if (!ready)
          reject(new CloudError('UNAVAILABLE', `SSH connection to ${this.target} closed during setup`))
      })
      const verify = config.verifyHostKey
      try {
        client.connect({
          host: config.host,
          port: config.port,
          username: config.username,
          privateKey: config.privateKey,
          passphrase: config.passphrase,
          password: config.password,
          readyTimeout: config.connectTimeoutMs,
          keepaliveInterval: config.keepaliveIntervalMs,
          keepaliveCountMax: config.keepaliveCountMax,
          hostVerifier:
            verify &&
            ((key: Buffer) => {
              if (verify(key)) return true
              rejectedKey = key
              return false
            }),
        })
      } catch (error) {
        reject(
          new CloudError('INVALID', `Invalid SSH settings for ${this.target}: ${String(error)}`, {
            cause: error,
          }),
        )
      }
    })
    return attempt
  }

  /** Maps ssh2's connection errors: network trouble is retryable, trust and credential problems are not. */
  private connectFailed(error: Error & { level?: string; code?: string }, rejectedKey?: Buffer): CloudError {
    const options = { cause: error, details: { host: this.config.host, port: this.config.port } }
    if (rejectedKey) {
      return new CloudError(
        'DRIVER_FAILED',
        `Host key of ${this.target} (${sshFingerprint(rejectedKey)}) does not match the expected key; refusing to connect`,
        { ...options, retryable: false },
      )
    }
    if (error.level === 'client-authentication') {
      return new CloudError('DRIVER_FAILED', `SSH authentication failed for ${this.target}`, {
        ...options,
        retryable: false,
      })
    }
    if (error.level === 'client-socket' || error.level === 'client-timeout' || error.level === 'client-dns') {
      const why = error.level === 'client-timeout' ? 'timed out' : (error.code ?? error.message)
      return new CloudError('UNAVAILABLE', `Cannot reach ${this.target} over SSH: ${why}`, options)
    }
    return new CloudError('DRIVER_FAILED', `SSH connection to ${this.target} failed: ${error.message}`, {
      ...options,
      retryable: false,
    })
  }
}

/** Resolves like `promise`, or rejects with the signal's reason once it fires. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
