import { abortError, CloudError } from '../core/errors.js'
import { DEFAULT_MAX_OUTPUT_BYTES, type RunOptions } from './types.js'

/**
 * Collects a command's stdout and stderr as raw chunks, decoding only at the end so a multi-byte character
 * split across chunks survives, and refuses to grow past a bound shared by both streams.
 */
export class OutputBuffer {
  readonly limit: number
  private size = 0
  private readonly chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] }

  constructor(limit: number = DEFAULT_MAX_OUTPUT_BYTES) {
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new CloudError('INVALID', `maxOutputBytes must be a non-negative integer, got ${limit}`)
    }
    this.limit = limit
  }

  /** Adds a chunk; false once the bound is exceeded (the chunk is then dropped). */
  push(stream: 'stdout' | 'stderr', chunk: Buffer | string): boolean {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    this.size += buffer.length
    if (this.size > this.limit) return false
    this.chunks[stream].push(buffer)
    return true
  }

  /** What the stream has said so far, as UTF-8. */
  text(stream: 'stdout' | 'stderr'): string {
    return Buffer.concat(this.chunks[stream]).toString('utf8')
  }

  /** The error a transport rejects with when the bound is exceeded. */
  exceeded(argv0: string, host: string): CloudError {
    return new CloudError(
      'DRIVER_FAILED',
      `Command '${argv0}' on ${host} was killed: output exceeded ${this.limit} bytes`,
      { retryable: false, details: { command: argv0, host, maxOutputBytes: this.limit } },
    )
  }
}

/** What stops a running command early: its timeout or its abort signal. */
export interface StopWatch {
  /** Disarms the timer and the signal listener; call once the command has ended. */
  disarm(): void
}

/**
 * Arms `options.timeoutMs` and `options.signal` for one command; the first to fire calls `onStop` with
 * `TIMEOUT` or `ABORTED`. `onStop` is called at most once, and never after {@link StopWatch.disarm}.
 */
export function watchCommand(
  options: Pick<RunOptions, 'timeoutMs' | 'signal'>,
  what: string,
  onStop: (error: CloudError) => void,
): StopWatch {
  const { timeoutMs, signal } = options
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new CloudError('INVALID', `timeoutMs must be a positive number, got ${timeoutMs}`)
  }
  let armed = true
  const fire = (error: CloudError) => {
    if (!armed) return
    armed = false
    clear()
    onStop(error)
  }
  const onAbort = () => fire(abortError(signal as AbortSignal, what))
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => fire(new CloudError('TIMEOUT', `The ${what} timed out after ${timeoutMs} ms`)),
          timeoutMs,
        )
  const clear = () => {
    if (timer) clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
  if (signal?.aborted) queueMicrotask(onAbort)
  else signal?.addEventListener('abort', onAbort, { once: true })
  return {
    disarm() {
      armed = false
      clear()
    },
  }
}

/** The environment variable names a transport accepts: portable shell names, so SSH can pass them too. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Throws `INVALID` for an env entry no shell could carry faithfully. */
export function assertEnv(env: Readonly<Record<string, string>> | undefined): void {
  for (const [name, value] of Object.entries(env ?? {})) {
    if (!ENV_NAME.test(name)) throw new CloudError('INVALID', `Invalid environment variable name '${name}'`)
    if (typeof value !== 'string' || value.includes('\0')) {
      throw new CloudError('INVALID', `Environment variable ${name} must be a string without NUL bytes`)
    }
  }
}
