import { type ChildProcess, spawn } from 'node:child_process'
import { addAbortSignal, Readable, type Writable } from 'node:stream'
import { abortError, CloudError } from '@nubis/sdk'
import { type CephCli, type CommandContext, cephError } from './cli.js'

/** Bound on the stderr kept of a streaming `rbd`, for its error message. */
const STDERR_BYTES = 16 * 1024

/** A running `rbd` whose data goes through a pipe (Transport buffers; image data must stream). */
interface RbdProcess {
  child: ChildProcess
  /** Resolves with the exit status (null when killed) once the process is gone and its pipes are closed. */
  exited: Promise<number | null>
  /** The tail of its stderr so far. */
  stderr(): string
  /** True while the process runs. */
  running(): boolean
}

function spawnRbd(
  cli: CephCli,
  args: readonly string[],
  stdio: ['pipe' | 'ignore', 'pipe' | 'ignore'],
): RbdProcess {
  // argv array, no shell: pool and image names reach rbd unchanged.
  const child = spawn('rbd', [...cli.common, ...args], {
    shell: false,
    env: { ...process.env, ...cli.env },
    stdio: [stdio[0], stdio[1], 'pipe'],
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (text: string) => {
    stderr = (stderr + text).slice(-STDERR_BYTES)
  })
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      // After a successful spawn, errors come from kill() of a process already gone; 'close' still follows.
      if (child.pid !== undefined) return
      const why = error.code === 'ENOENT' ? 'rbd is not installed (Debian: ceph-common)' : error.message
      reject(new CloudError('DRIVER_FAILED', `Cannot run rbd: ${why}`, { cause: error }))
    })
    child.once('close', (code) => resolve(code))
  })
  exited.catch(() => {}) // awaited where it matters; never an unhandled rejection
  return {
    child,
    exited,
    stderr: () => stderr,
    running: () => child.exitCode === null && child.signalCode === null && child.pid !== undefined,
  }
}

/**
 * Streams `source` into `rbd import - <spec>`, respecting the pipe's backpressure, and resolves with the number
 * of bytes written once rbd has exited successfully. On abort or a failing source it closes rbd's stdin
 * rather than killing it: a killed rbd leaves its watch on the image for 30 s, during which the image cannot
 * be removed. rbd then finishes and exits, and the caller removes the image. Only an rbd that does not exit
 * within `graceMs` is killed. Never calls `return()` on `source`: the caller releases it.
 */
export async function rbdImport(
  cli: CephCli,
  spec: string,
  source: AsyncIterator<Uint8Array>,
  options: { signal: AbortSignal | undefined; graceMs: number; context: CommandContext; driver: string },
): Promise<number> {
  const { signal, graceMs, context, driver } = options
  const proc = spawnRbd(
    cli,
    ['import', '--no-progress', '--image-format', '2', '-', spec],
    ['pipe', 'ignore'],
  )
  const stdin = proc.child.stdin as Writable
  stdin.on('error', () => {}) // EPIPE when rbd exits early: its exit status says why
  let onAbort = () => {}
  const stop = new Promise<'aborted' | 'exited'>((resolve) => {
    onAbort = () => resolve('aborted')
    signal?.addEventListener('abort', onAbort, { once: true })
    proc.exited.then(
      () => resolve('exited'),
      () => resolve('exited'),
    )
  })
  const finish = async (): Promise<number | null> => {
    stdin.end()
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMs)
    })
    const first = await Promise.race([proc.exited, late])
    clearTimeout(timer)
    if (first !== 'late') return first
    proc.child.kill('SIGKILL')
    return proc.exited
  }
  const failure = (code: number | null) => cephError(code, proc.stderr(), context, driver)

  let bytes = 0
  try {
    for (;;) {
      if (signal?.aborted) break
      const next = source.next()
      next.catch(() => {}) // when `stop` wins the race, a later rejection of the source is not ours to report
      const step = await Promise.race([next, stop])
      if (step === 'aborted') break
      if (step === 'exited') throw failure(await proc.exited)
      if (step.done) {
        const code = await finish()
        if (signal?.aborted) break
        if (code !== 0) throw failure(code)
        return bytes
      }
      const chunk = step.value
      if (chunk.byteLength === 0) continue
      bytes += chunk.byteLength
      if (!stdin.write(chunk)) {
        const drained = new Promise<'drained'>((resolve) => stdin.once('drain', () => resolve('drained')))
        const why = await Promise.race([drained, stop])
        if (why === 'aborted') break
        if (why === 'exited') throw failure(await proc.exited)
      }
    }
    await finish()
    throw abortError(signal as AbortSignal, 'rbd image write')
  } catch (error) {
    if (proc.running()) await finish()
    throw error
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * The bytes of `rbd export <spec> -`, from `offset` on and at most `length` of them. rbd cannot seek, so a
 * range is read from the start and cut here; once the range is complete the export is stopped (an export of a
 * snapshot holds no watch, so killing it leaves nothing behind). Rejects with NOT_FOUND and the like before
 * any data when rbd fails at once; a later failure destroys the stream with the mapped error.
 */
export async function rbdExport(
  cli: CephCli,
  spec: string,
  options: {
    offset: number
    length: number | undefined
    signal: AbortSignal | undefined
    context: CommandContext
    driver: string
  },
): Promise<Readable> {
  const { context, driver } = options
  const proc = spawnRbd(cli, ['export', '--no-progress', spec, '-'], ['ignore', 'pipe'])
  const chunks = (proc.child.stdout as Readable)[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  const kill = () => {
    if (proc.running()) proc.child.kill('SIGTERM')
  }
  const failure = (code: number | null) => cephError(code, proc.stderr(), context, driver)
  let first: IteratorResult<Buffer>
  try {
    // Waiting for the first bytes (or the exit) tells a missing image before the caller gets a stream.
    first = await chunks.next()
  } catch (error) {
    kill()
    throw error
  }
  if (first.done) {
    const code = await proc.exited
    if (code !== 0) throw failure(code)
    return Readable.from([])
  }

  async function* body(): AsyncGenerator<Buffer> {
    let skip = options.offset
    let left = options.length ?? Number.POSITIVE_INFINITY
    try {
      for (let step = first; !step.done; step = await chunks.next()) {
        let chunk = step.value
        if (skip >= chunk.length) {
          skip -= chunk.length
          continue
        }
        chunk = chunk.subarray(skip)
        skip = 0
        if (chunk.length >= left) {
          if (left > 0) yield chunk.subarray(0, left)
          return
        }
        left -= chunk.length
        yield chunk
      }
      const code = await proc.exited
      if (code !== 0) throw failure(code)
    } finally {
      kill()
    }
  }
  const stream = Readable.from(body(), { objectMode: false })
  return options.signal ? addAbortSignal(options.signal, stream) : stream
}
