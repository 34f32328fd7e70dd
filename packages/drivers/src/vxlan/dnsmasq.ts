import { setTimeout as sleep } from 'node:timers/promises'
import type { DhcpFiles } from './dhcp.js'
import { inNamespace, type Runner } from './runner.js'

// The dnsmasq processes of the driver are found by their pid files only, and a pid is trusted only when the
// process still runs our configuration file: a recycled pid is never signalled.

/** How long a stopped dnsmasq gets to exit before SIGKILL. */
const STOP_WAIT_MS = 3_000

/** The files of a DHCP server as they are on the host (undefined: missing). */
interface Written {
  conf?: string
  hosts?: string
  pid?: number
}

async function readWritten(runner: Runner, files: DhcpFiles): Promise<Written> {
  // One command for the three files: `path:line` for each line; missing files are skipped (-s).
  const { stdout } = await runner.probe(['grep', '-s', '-H', '', files.conf, files.hosts, files.pid])
  const text = (path: string) => {
    const lines = stdout.split('\n').filter((line) => line.startsWith(`${path}:`))
    return lines.length === 0 ? undefined : lines.map((line) => `${line.slice(path.length + 1)}\n`).join('')
  }
  const pid = Number.parseInt(text(files.pid) ?? '', 10)
  return { conf: text(files.conf), hosts: text(files.hosts), ...(pid > 0 && { pid }) }
}

/** True when `pid` is a live process running our configuration. */
async function isOurs(runner: Runner, pid: number, files: DhcpFiles): Promise<boolean> {
  const result = await runner.probe(['cat', `/proc/${pid}/cmdline`])
  return result.exitCode === 0 && result.stdout.split('\0').includes(`--conf-file=${files.conf}`)
}

async function stop(runner: Runner, pid: number, files: DhcpFiles): Promise<void> {
  await runner.change(['kill', String(pid)], { okCodes: [1] })
  const deadline = Date.now() + STOP_WAIT_MS
  while (Date.now() < deadline) {
    if (!(await isOurs(runner, pid, files))) return
    await sleep(50)
  }
  await runner.change(['kill', '-KILL', String(pid)], { okCodes: [1] })
}

async function write(runner: Runner, path: string, content: string): Promise<void> {
  await runner.change(['tee', path], { stdin: content })
}

/**
 * Runs dnsmasq in `namespace` with `config`: restarts it when its configuration changed or it is not running
 * there (a namespace deleted under it leaves it running elsewhere: that one is stopped), sends SIGHUP when
 * only the leases changed, and does nothing when all is as wanted.
 */
export async function convergeDnsmasq(
  runner: Runner,
  namespace: string,
  files: DhcpFiles,
  config: { conf: string; hosts: string },
): Promise<void> {
  const written = await readWritten(runner, files)
  const pids = new Set(
    (await runner.read(['ip', 'netns', 'pids', namespace])).split('\n').map((line) => line.trim()),
  )
  let running =
    written.pid !== undefined && pids.has(String(written.pid)) && (await isOurs(runner, written.pid, files))
  if (written.pid !== undefined && !running && (await isOurs(runner, written.pid, files))) {
    await stop(runner, written.pid, files)
  }
  const confChanged = written.conf !== config.conf
  const hostsChanged = written.hosts !== config.hosts
  // dnsmasq drops root for `nobody` and rereads the hosts file as such on SIGHUP: the directory must be open.
  if (written.conf === undefined) await runner.change(['mkdir', '-p', '-m', '0755', files.dir])
  if (hostsChanged) await write(runner, files.hosts, config.hosts)
  if (confChanged) await write(runner, files.conf, config.conf)
  if (running && confChanged && written.pid !== undefined) {
    await stop(runner, written.pid, files)
    running = false
  }
  if (!running) {
    await runner.change(inNamespace(namespace, [runner.config.dnsmasq, `--conf-file=${files.conf}`]))
  } else if (hostsChanged && written.pid !== undefined) {
    await runner.change(['kill', '-HUP', String(written.pid)])
  }
}

/** Stops a DHCP server (if its pid file names our live dnsmasq) and removes its files. */
export async function removeDnsmasq(runner: Runner, files: DhcpFiles): Promise<void> {
  const { pid } = await readWritten(runner, files)
  if (pid !== undefined && (await isOurs(runner, pid, files))) await stop(runner, pid, files)
  await runner.change(['rm', '-rf', '--', files.dir])
}

/** The DHCP directories under `stateDir` whose names start with `prefix` (the host's namespace prefix + `qdhcp-`). */
export async function listDhcpDirs(runner: Runner, stateDir: string, prefix: string): Promise<string[]> {
  const result = await runner.probe([
    'find',
    stateDir,
    '-mindepth',
    '1',
    '-maxdepth',
    '1',
    '-type',
    'd',
    '-name',
    `${prefix}*`,
  ])
  if (result.exitCode !== 0) return []
  return result.stdout
    .split('\n')
    .filter((line) => line.startsWith(`${stateDir}/`))
    .map((line) => line.slice(stateDir.length + 1))
}
