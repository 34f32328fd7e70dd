import { CloudError } from '../core/errors.js'
import type { ExecOptions, RunResult, Transport, TransportImpl } from './types.js'

/** How many trailing stderr lines a failure message quotes, and at most how many characters of them. */
const STDERR_TAIL_LINES = 5
const STDERR_TAIL_CHARS = 2000

/**
 * Builds a {@link Transport} from its essentials (`run`, `describe`, optional `close`), adding the shared
 * `exec` so every transport — real or fake — reports failed commands the same way.
 */
export function defineTransport(impl: TransportImpl): Transport {
  const transport: Transport = {
    run: (argv, options) => impl.run(argv, options),
    async exec(argv, options: ExecOptions = {}) {
      const { okExitCodes = [], ...runOptions } = options
      const result = await impl.run(argv, runOptions)
      if (result.exitCode === 0 || (result.exitCode !== null && okExitCodes.includes(result.exitCode))) {
        return result
      }
      throw commandFailed(transport.describe(), argv, result)
    },
    describe: () => impl.describe(),
    close: async () => {
      await impl.close?.()
    },
  }
  return transport
}

/**
 * The `DRIVER_FAILED` error of a command that exited non-zero or by a signal. It names the program, the host,
 * the exit and the last lines of stderr — not the other arguments, which may carry secrets, and never stdin.
 */
export function commandFailed(host: string, argv: readonly string[], result: RunResult): CloudError {
  const how =
    result.exitCode === null
      ? `was killed by ${result.signal ?? 'a signal'}`
      : `exited with code ${result.exitCode}`
  const tail = stderrTail(result.stderr)
  return new CloudError('DRIVER_FAILED', `Command '${argv[0]}' on ${host} ${how}${tail ? `: ${tail}` : ''}`, {
    retryable: false,
    details: {
      command: argv[0],
      host,
      exitCode: result.exitCode,
      signal: result.signal,
      stderr: tail,
    },
  })
}

/** The last few non-empty lines of `stderr`, bounded in size, for messages. */
export function stderrTail(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
  const tail = lines.slice(-STDERR_TAIL_LINES).join('\n')
  return tail.length > STDERR_TAIL_CHARS ? `…${tail.slice(-STDERR_TAIL_CHARS)}` : tail
}
