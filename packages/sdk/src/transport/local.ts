import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { CloudError, throwIfAborted } from '../core/errors.js'
import { defineTransport } from './exec.js'
import { assertArgv } from './quote.js'
import { assertEnv, OutputBuffer, watchCommand } from './supervise.js'
import type { RunOptions, RunResult, Transport } from './types.js'

/** Options of {@link localTransport}. */
export interface LocalTransportOptions {
  /** How long a stopped command gets between SIGTERM and SIGKILL; default 2000 ms. */
  killGraceMs?: number
}

/** How long to wait for stdio to close after the process exited, in case a grandchild still holds a pipe. */
const STDIO_DRAIN_MS = 1000

const HOST = 'local'

/**
 * Runs commands on this machine with `child_process.spawn` and no shell: each argv element reaches the
 * program unchanged, whatever characters it holds. Each command runs in its own process group, so a timeout
 * or abort (SIGTERM, then SIGKILL after the grace period) also ends the children it started; the call
 * rejects only once the process is gone.
 */
export function localTransport(options: LocalTransportOptions = {}): Transport {
  const killGraceMs = options.killGraceMs ?? 2000
  return defineTransport({
    describe: () => HOST,
    run: (argv, runOptions) => runLocal(argv, runOptions ?? {}, killGraceMs),
  })
}

async function runLocal(
  argv: readonly string[],
  options: RunOptions,
  killGraceMs: number,
): Promise<RunResult> {
  assertArgv(argv)
  assertEnv(options.env)
  const program = argv[0] as string
  throwIfAborted(options.signal, `command '${program}' on ${HOST}`)
  const output = new OutputBuffer(options.maxOutputBytes)
  return new Promise((resolve, reject) => {
    const started = performance.now()
    let failure: CloudError | undefined
    let killTimer: NodeJS.Timeout | undefined
    let drainTimer: NodeJS.Timeout | undefined
    const child = spawn(program, argv.slice(1), {
      shell: false,
      detached: true,
      cwd: options.cwd,
      env: options.env ? { ...process.env, ...options.env } : process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const stop = (error: CloudError) => {
      if (failure) return
      failure = error
      signalGroup(child, 'SIGTERM')
      killTimer = setTimeout(() => signalGroup(child, 'SIGKILL'), killGraceMs)
    }
    const watch = watchCommand(options, `command '${program}' on ${HOST}`, stop)

    child.stdout.on(
      'data',
      (chunk: Buffer) => output.push('stdout', chunk) || stop(output.exceeded(program, HOST)),
    )
    child.stderr.on(
      'data',
      (chunk: Buffer) => output.push('stderr', chunk) || stop(output.exceeded(program, HOST)),
    )
    // A command that exits without reading its stdin makes our write fail with EPIPE: not an error of ours.
    child.stdin.on('error', () => {})
    child.stdin.end(options.stdin)

    child.on('error', (error: NodeJS.ErrnoException) => {
      // Errors after a successful spawn come from kill() on a process already gone; 'close' still follows.
      if (child.pid !== undefined) return
      watch.disarm()
      reject(spawnFailed(program, error, options.cwd))
    })
    child.on('exit', () => {
      drainTimer = setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
      }, STDIO_DRAIN_MS)
    })
    child.on('close', (exitCode, signal) => {
      if (child.pid === undefined) return
      watch.disarm()
      clearTimeout(killTimer)
      clearTimeout(drainTimer)
      if (failure) return reject(failure)
      resolve({
        exitCode,
        signal,
        stdout: output.text('stdout'),
        stderr: output.text('stderr'),
        durationMs: Math.round(performance.now() - started),
      })
    })
  })
}

/**
 * Signals the command's whole process group (which outlives the leader while its children run); falls back
 * to the process alone if the group is gone.
 */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return
  try {
    process.kill(-child.pid, signal)
  } catch {
    child.kill(signal)
  }
}

function spawnFailed(program: string, error: NodeJS.ErrnoException, cwd: string | undefined): CloudError {
  const details = { command: program, host: HOST, errno: error.code }
  const options = { retryable: false, details, cause: error }
  if (error.code === 'ENOENT' && cwd !== undefined && !existsSync(cwd)) {
    return new CloudError(
      'DRIVER_FAILED',
      `Cannot run '${program}' on ${HOST}: directory ${cwd} does not exist`,
      options,
    )
  }
  if (error.code === 'ENOENT') {
    const where = program.includes('/') ? 'the file does not exist' : 'not found in PATH'
    return new CloudError(
      'DRIVER_FAILED',
      `Command '${program}' is not installed on ${HOST} (${where})`,
      options,
    )
  }
  if (error.code === 'EACCES') {
    return new CloudError('DRIVER_FAILED', `Command '${program}' on ${HOST} is not executable`, options)
  }
  return new CloudError('DRIVER_FAILED', `Cannot run '${program}' on ${HOST}: ${error.message}`, options)
}
