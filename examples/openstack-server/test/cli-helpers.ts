import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

/** The repository root: the CLI runs from there, as `npm start` does. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** The CLI from its sources, resolved the way the workspace's own scripts resolve @nubis/* packages. */
const NODE_ARGS = ['--conditions=@nubis/source', '--import', 'tsx', 'examples/openstack-server/src/bin.ts']

/** A running `nubis` process and everything it printed so far. */
export interface CliProcess {
  child: ChildProcess
  /** stdout and stderr, interleaved as they arrived. */
  output(): string
  stdout(): string
  stderr(): string
  /** Resolves with the exit code (or the signal name) once the process is gone. */
  exited: Promise<number | string>
  /** Resolves once `text` has been printed; rejects if the process exits first or time runs out. */
  waitFor(text: string, timeoutMs?: number): Promise<void>
}

/** The environment without the caller's NUBIS_* settings, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('NUBIS_')))
  return { ...clean, ...env }
}

/** Starts `nubis <args>`; stdin is closed, as under CI. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let all = ''
  let out = ''
  let err = ''
  const waiters = new Set<() => void>()
  const notify = () => {
    for (const waiter of waiters) waiter()
  }
  child.stdout?.on('data', (chunk: Buffer) => {
    all += chunk
    out += chunk
    notify()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    all += chunk
    err += chunk
    notify()
  })
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string)
  let gone = false
  void exited.then(() => {
    gone = true
    notify()
  })
  const waitFor = (text: string, timeoutMs = 20_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(new Error(`timed out waiting for "${text}"; output:\n${all}`)),
        timeoutMs,
      )
      const finish = (error?: Error) => {
        clearTimeout(timer)
        waiters.delete(check)
        error ? reject(error) : resolve()
      }
      const check = () => {
        if (all.includes(text)) finish()
        else if (gone) finish(new Error(`exited before printing "${text}"; output:\n${all}`))
      }
      waiters.add(check)
      check()
    })
  return { child, output: () => all, stdout: () => out, stderr: () => err, exited, waitFor }
}

/** Runs `nubis <args>` to completion. */
export async function runCli(args: readonly string[], env: Record<string, string> = {}) {
  const cli = startCli(args, env)
  const code = await cli.exited
  return { code, stdout: cli.stdout(), stderr: cli.stderr() }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  server.close()
  await once(server, 'close')
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

/** Stops a CLI with SIGTERM and resolves with its exit code. */
export async function stop(cli: CliProcess): Promise<number | string> {
  if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGTERM')
  return cli.exited
}
