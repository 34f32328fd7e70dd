// Helpers for the tests that drive a running `nubis serve` with the real OpenStack tools from Debian
// (python3-openstackclient, python3-openstacksdk, tempest), installed by `bash test/tempest/install.sh`.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'
import { READY_PREFIX } from '../src/banner.js'
import { authUrlFor, CLOUD_NAME, credentialPaths } from '../src/credentials.js'
import { type CliProcess, ROOT, startCli, stop } from './cli-helpers.js'

export { ROOT }

/** Debian's OpenStack tools run on Debian's interpreter, never on the `python3` first on PATH (pyenv). */
export const PYTHON = '/usr/bin/python3'
export const OPENSTACK = '/usr/bin/openstack'
export const TEMPEST = '/usr/bin/tempest'

/** Why a test that needs `binary` is skipped, or undefined when it is installed. */
export function missingBinary(binary: string): string | undefined {
  if (existsSync(binary) && existsSync(PYTHON)) return undefined
  return `skipped: ${existsSync(binary) ? PYTHON : binary} is missing; install Tempest and the openstack CLI with \`bash test/tempest/install.sh\` (as root)`
}

/** A `nubis serve` child process with a fresh data dir and a known admin password. */
export interface NubisServer {
  cli: CliProcess
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string
  /** Keystone's URL on it: `${url}/identity/v3`. */
  authUrl: string
  password: string
  dataDir: string
  /** The clouds.yaml the server wrote into its data dir; its cloud is {@link CLOUD_NAME}. */
  cloudsFile: string
  /** A private HOME for the tools, so no ~/.config/openstack of the caller is read. */
  home: string
  /** A scratch dir removed with the server. */
  work: string
  close(): Promise<void>
}

/** Starts `nubis serve --port 0` (the kernel picks a free port) on 127.0.0.1 and reads the port off the banner. */
export async function startNubis(): Promise<NubisServer> {
  const work = await mkdtemp(join(tmpdir(), 'nubis-openstack-'))
  const dataDir = join(work, 'data')
  const home = join(work, 'home')
  await mkdir(home)
  const password = randomBytes(18).toString('base64url')
  const cli = startCli(['serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], {
    NUBIS_ADMIN_PASSWORD: password,
  })
  const close = async () => {
    await stop(cli)
    await rm(work, { recursive: true, force: true })
  }
  try {
    await cli.waitFor('Press Ctrl+C to stop.', 60_000)
  } catch (error) {
    await close()
    throw error
  }
  const line = cli
    .stdout()
    .split('\n')
    .find((l) => l.startsWith(READY_PREFIX))
  const url = line?.slice(READY_PREFIX.length).split(' ')[0]
  if (!url) {
    await close()
    throw new Error(`no "${READY_PREFIX}" line in the banner:\n${cli.output()}`)
  }
  const port = Number(new URL(url).port)
  return {
    cli,
    url,
    authUrl: authUrlFor('127.0.0.1', port),
    password,
    dataDir,
    cloudsFile: credentialPaths(dataDir).clouds,
    home,
    work,
    close,
  }
}

/**
 * The environment for Debian's Python tools: none of the caller's PYTHON*, virtualenv, OS_* (a sourced openrc of
 * another cloud), TEMPEST_* or NUBIS_* settings, a private HOME, then `extra`.
 */
export function toolEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dropped = /^(PYTHON|VIRTUAL_ENV|OS_|TEMPEST_|NUBIS_|XDG_CONFIG_HOME$)/
  const kept = Object.fromEntries(Object.entries(process.env).filter(([name]) => !dropped.test(name)))
  return { ...kept, HOME: home, LC_ALL: 'C.UTF-8', ...extra }
}

/** How a tool run ended. */
export interface ToolResult {
  /** Exit code, or the signal name; 'timeout' when it was killed for running too long. */
  code: number | string
  stdout: string
  stderr: string
}

/**
 * Runs `command args` (no shell) to completion. The child leads its own process group, so a timeout ends it and
 * whatever it started (tempest's stestr workers) by that group's id.
 */
export async function runTool(
  command: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number },
): Promise<ToolResult> {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk
  })
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
  }, options.timeoutMs)
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null]
  clearTimeout(timer)
  return { code: timedOut ? 'timeout' : (code ?? signal ?? 'unknown'), stdout, stderr }
}

/**
 * Runs `openstack args` as the admin of `server`, logged in through the clouds.yaml `nubis serve` wrote into its
 * data dir.
 */
export function openstackAsAdmin(
  server: NubisServer,
  args: readonly string[],
  timeoutMs: number,
): Promise<ToolResult> {
  return runTool(PYTHON, [OPENSTACK, ...args], {
    env: toolEnv(server.home, { OS_CLOUD: CLOUD_NAME, OS_CLIENT_CONFIG_FILE: server.cloudsFile }),
    timeoutMs,
  })
}

/** Expects the run of `openstack args` to have exited 0, and returns it. */
export function expectSuccess(args: readonly string[], result: ToolResult): ToolResult {
  expect(result.code, describeRun(`openstack ${args.join(' ')}`, result)).toBe(0)
  return result
}

/** Runs `openstack args -f json` with `run`, expects exit 0 and parses the output. */
export async function openstackJson<T>(
  run: (args: readonly string[]) => Promise<ToolResult>,
  args: readonly string[],
): Promise<T> {
  const full = [...args, '-f', 'json']
  return JSON.parse(expectSuccess(full, await run(full)).stdout) as T
}

/** One line describing a finished tool run, for assertion messages. */
export function describeRun(what: string, result: ToolResult): string {
  return `${what} exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`
}

export { CLOUD_NAME }
