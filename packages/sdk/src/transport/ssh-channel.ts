import type ssh2 from 'ssh2'
import { CloudError } from '../core/errors.js'
import { OutputBuffer } from './supervise.js'
import type { RunOptions, RunResult } from './types.js'

/** How long a killed channel may take to close before the call gives up waiting for it. */
const CLOSE_GRACE_MS = 5000

/**
 * Bounds concurrent channels on one connection: servers cap sessions per connection (OpenSSH's MaxSessions
 * is 10), and going over fails commands instead of queueing them. Waiters are served first come, first served.
 */
export class ChannelLimiter {
  private free: number
  private readonly waiting: Array<() => void> = []

  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 1) {
      throw new CloudError('INVALID', `maxChannels must be a positive integer, got ${max}`)
    }
    this.free = max
  }

  /** Waits for a free channel; resolves to its release function. Rejects with the signal's reason. */
  acquire(signal: AbortSignal): Promise<() => void> {
    let released = false
    const release = () => {
      if (released) return
      released = true
      const next = this.waiting.shift()
      if (next) next()
      else this.free++
    }
    if (signal.aborted) return Promise.reject(signal.reason)
    if (this.free > 0) {
      this.free--
      return Promise.resolve(release)
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal.removeEventListener('abort', onAbort)
        resolve(release)
      }
      const onAbort = () => {
        this.waiting.splice(this.waiting.indexOf(grant), 1)
        reject(signal.reason)
      }
      this.waiting.push(grant)
      signal.addEventListener('abort', onAbort, { once: true })
    })
  }
}

/** What {@link runOnChannel} needs besides the command line. */
export interface ChannelRun extends Pick<RunOptions, 'stdin' | 'maxOutputBytes'> {
  /** argv[0], for messages. */
  program: string
  /** The transport's description, for messages. */
  host: string
  /** Fires with the CloudError to reject with (timeout, abort): the remote command is then killed. */
  stop: AbortSignal
}

/** Runs one command line on its own channel of `client` and collects its output and exit status. */
export function runOnChannel(
  client: ssh2.Client,
  command: string,
  run: ChannelRun,
): Promise<Omit<RunResult, 'durationMs'>> {
  const output = new OutputBuffer(run.maxOutputBytes)
  // The channel never opened, so the command never ran: safe to retry (`started: false` says so).
  const notStarted = (error: Error) =>
    new CloudError('UNAVAILABLE', `Cannot open an SSH channel on ${run.host}: ${error.message}`, {
      cause: error,
      details: { started: false },
    })
  return new Promise((resolve, reject) => {
    const opened = (error: Error | undefined, channel: ssh2.ClientChannel) => {
      if (error) return reject(notStarted(error))
      let failure: CloudError | undefined
      let exit: { code: number | null; signal: string | null } | undefined
      let graceTimer: NodeJS.Timeout | undefined
      const finish = () => {
        run.stop.removeEventListener('abort', onStop)
        clearTimeout(graceTimer)
        if (failure) return reject(failure)
        if (!exit) {
          return reject(
            new CloudError(
              'UNAVAILABLE',
              `SSH channel on ${run.host} closed before '${run.program}' reported an exit status; it may or may not have completed`,
              { retryable: false },
            ),
          )
        }
        resolve({
          exitCode: exit.code,
          signal: exit.signal,
          stdout: output.text('stdout'),
          stderr: output.text('stderr'),
        })
      }
      const kill = (reason: CloudError) => {
        if (failure) return
        failure = reason
        try {
          channel.signal('KILL')
        } catch {
          // The channel may already be closing; closing it below is what matters.
        }
        channel.close()
        graceTimer = setTimeout(finish, CLOSE_GRACE_MS)
      }
      const onStop = () => kill(run.stop.reason as CloudError)
      run.stop.addEventListener('abort', onStop, { once: true })
      if (run.stop.aborted) onStop()

      channel.on(
        'data',
        (chunk: Buffer) => output.push('stdout', chunk) || kill(output.exceeded(run.program, run.host)),
      )
      channel.stderr.on('data', (chunk: Buffer) => {
        if (!output.push('stderr', chunk)) kill(output.exceeded(run.program, run.host))
      })
      channel.on('exit', (code: number | null, signal?: string) => {
        exit = { code: code ?? null, signal: code === null ? (signal ?? null) : null }
      })
      channel.once('close', finish)
      channel.on('error', () => {})
      channel.end(run.stdin)
    }
    try {
      client.exec(command, opened)
    } catch (error) {
      // ssh2 throws "Not connected" synchronously on a connection that has just dropped.
      reject(notStarted(error as Error))
    }
  })
}
