/** Default bound on a command's combined stdout and stderr: 16 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024

/** Options of {@link Transport.run}. */
export interface RunOptions {
  /** Written to the command's standard input, which is then closed. Never logged nor put in errors. */
  stdin?: string | Buffer
  /** Kills the command after this long and rejects with `TIMEOUT`. */
  timeoutMs?: number
  /** Kills the command when fired and rejects with `ABORTED` (or `TIMEOUT` for a timeout signal). */
  signal?: AbortSignal
  /**
   * Bound on stdout plus stderr, default {@link DEFAULT_MAX_OUTPUT_BYTES}. A command printing more is killed
   * and the call rejects with `DRIVER_FAILED` ("output exceeded N bytes"), so a runaway tool cannot exhaust
   * the control plane's memory.
   */
  maxOutputBytes?: number
  /** Extra environment variables, added to the command's inherited environment. */
  env?: Readonly<Record<string, string>>
  /** Working directory of the command. */
  cwd?: string
}

/** What a finished command reports. A non-zero exit is a result, not an error; see {@link Transport.exec}. */
export interface RunResult {
  /** Exit status, or `null` when the command was ended by a signal. */
  exitCode: number | null
  /** Name of the signal that ended the command (`SIGKILL`…), or `null`. */
  signal: string | null
  /** Standard output, decoded as UTF-8. */
  stdout: string
  /** Standard error, decoded as UTF-8. */
  stderr: string
  /** Wall time from start to exit, in milliseconds. */
  durationMs: number
}

/** Options of {@link Transport.exec}. */
export interface ExecOptions extends RunOptions {
  /** Exit codes that count as success besides 0 (e.g. a tool's "nothing to do"). */
  okExitCodes?: readonly number[]
}

/**
 * How drivers reach a host, agentlessly: the local machine through `child_process`, or a remote one over SSH.
 * Commands are argv arrays, never shell strings, so user data can never become shell syntax.
 */
export interface Transport {
  /** Runs `argv` (`argv[0]` is the program) and reports how it ended, whatever its exit code. */
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>
  /**
   * Like {@link Transport.run}, but a non-zero exit (or an exit by signal) rejects with `DRIVER_FAILED` naming
   * the program, the exit code and the last lines of stderr.
   */
  exec(argv: readonly string[], options?: ExecOptions): Promise<RunResult>
  /** Names the host for messages, e.g. `local` or `ssh root@hv1:22`. */
  describe(): string
  /** Releases connections; a no-op for transports that hold none. */
  close(): Promise<void>
}

/** What a transport implementation provides; {@link defineTransport} adds the rest. */
export interface TransportImpl {
  /** See {@link Transport.run}. */
  run(argv: readonly string[], options?: RunOptions): Promise<RunResult>
  /** See {@link Transport.describe}. */
  describe(): string
  /** See {@link Transport.close}; optional. */
  close?(): Promise<void>
}
