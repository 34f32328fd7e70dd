import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { defineTransport, localTransport, type RunOptions, type RunResult, type Transport } from '@nubis/sdk'

// Simulated hypervisor hosts for network-driver tests, as network namespaces of this machine: a fabric
// namespace holding a plain bridge (the underlay switch) and N host namespaces, each with eth0 on that bridge.
// Nothing is done in the root namespace, and all addresses are in 198.18.0.0/15 (RFC 2544 benchmarking).
// Every namespace is written to a state file before it is made, so `down()` — or the next run with the same
// prefix after a crash — removes exactly what was made.

/** Where the state files of running host sets are. */
const STATE_DIR = '/run/nubis-netns'

/**
 * A Transport that runs every command inside network namespace `namespace` through `base` (default: this
 * machine). A driver given it works on the namespace as on a host of its own.
 *
 * It enters the namespace with `nsenter --net=/run/netns/<ns>`, not `ip netns exec`: the latter also gives the
 * command a private mount namespace, so a namespace the driver makes there (`ip netns add qrouter-…`) would
 * be mounted only for that one command and unusable afterwards. Tools then see the machine's /sys, which
 * iproute2, iptables, ipset, conntrack and dnsmasq do not read (they use netlink and the per-namespace /proc/sys).
 */
export function netnsTransport(namespace: string, base: Transport = localTransport()): Transport {
  return defineTransport({
    describe: () => `netns ${namespace} via ${base.describe()}`,
    run: (argv, options) => base.run(['nsenter', `--net=/run/netns/${namespace}`, '--', ...argv], options),
    close: () => base.close(),
  })
}

/** One simulated host. */
export interface NetnsHost {
  /** `h1`, `h2`…: the name to give the driver. */
  name: string
  /** Its namespace, `<prefix>-h<i>`. */
  namespace: string
  /** Its underlay address on eth0 (`<underlay>.<i>`). */
  tunnelIp: string
  /** Runs commands inside it. */
  transport: Transport
  /** A namespace prefix for what a driver makes on it (`<prefix>h<i>-`): machine-unique, and removed by `down()`. */
  namespacePrefix: string
}

/** A running set of simulated hosts; see {@link startNetnsHosts}. */
export interface NetnsHosts {
  prefix: string
  hosts: NetnsHost[]
  /** The fabric namespace (bridge `br-fab`). */
  fabric: string
  /** Makes namespace `<prefix>-<name>` (a "VM", an external client…), recorded for `down()`; returns its name. */
  addNamespace(name: string): Promise<string>
  /** Runs `argv` in `namespace` and reports how it ended, whatever the exit code. */
  run(namespace: string, argv: readonly string[], options?: RunOptions): Promise<RunResult>
  /** Like {@link NetnsHosts.run}, but a non-zero exit throws. */
  exec(namespace: string, argv: readonly string[], options?: RunOptions): Promise<RunResult>
  /** Removes every namespace made, and those of the hosts' namespace prefixes, ending the processes inside. */
  down(): Promise<void>
}

/** Options of {@link startNetnsHosts}. */
export interface StartNetnsHostsOptions {
  /** Machine-unique prefix, `[a-z0-9]+`: files run in parallel need different ones. */
  prefix: string
  /** How many hosts, 1–250. */
  count: number
  /** First three octets of the underlay /24, inside 198.18.0.0/15; default `198.18.0`. */
  underlay?: string
}

const local = localTransport()
/** Splits a command line made only of our own words (no user data) into argv. */
const words = (line: string) => line.split(' ')
/** Host sets not yet downed: prefix → the namespace prefixes of their hosts. */
const live = new Map<string, string[]>()
let exitHook = false

/**
 * Starts `count` simulated hosts (about 50 ms per host): namespaces `<prefix>-h1…`, each with eth0 =
 * `<underlay>.<i>/24` on the bridge of `<prefix>-fabric`, bridged frames going through iptables inside the
 * hosts (as security groups need) but not in the fabric. Checks that h1 reaches every other host.
 */
export async function startNetnsHosts(options: StartNetnsHostsOptions): Promise<NetnsHosts> {
  const { prefix, count } = options
  const underlay = options.underlay ?? '198.18.0'
  if (!/^[a-z0-9]+$/.test(prefix)) throw new Error(`prefix must be [a-z0-9]+, got '${prefix}'`)
  if (!/^198\.1[89]\.\d{1,3}$/.test(underlay))
    throw new Error(`underlay must be inside 198.18.0.0/15, got '${underlay}'`)
  if (!Number.isInteger(count) || count < 1 || count > 250)
    throw new Error(`count must be 1-250, got ${count}`)
  const stateFile = join(STATE_DIR, `${prefix}.state`)
  const hostPrefixes = Array.from({ length: count }, (_, i) => `${prefix}h${i + 1}-`)
  // A run killed halfway left its namespaces listed here: they are ours, remove them first.
  await removeAll(stateFile, prefix, hostPrefixes)
  await mkdir(STATE_DIR, { recursive: true })
  await writeFile(stateFile, '')
  live.set(prefix, hostPrefixes)
  installExitHook()

  const exec = (ns: string, argv: readonly string[], runOptions?: RunOptions) =>
    local.exec(['ip', 'netns', 'exec', ns, ...argv], runOptions)
  const create = async (name: string) => {
    await appendFile(stateFile, `netns ${name}\n`)
    await local.exec(['ip', 'netns', 'add', name])
    await local.exec(['ip', '-n', name, 'link', 'set', 'dev', 'lo', 'up'])
    return name
  }
  const fabric = await create(`${prefix}-fabric`)
  await local.exec(['ip', '-n', fabric, 'link', 'add', 'br-fab', 'up', 'type', 'bridge'])
  // The fabric is a dumb switch: keep netfilter out of it.
  await exec(
    fabric,
    words('sysctl -qw net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0'),
  )
  const hosts: NetnsHost[] = []
  for (let i = 1; i <= count; i++) {
    const namespace = await create(`${prefix}-h${i}`)
    const tunnelIp = `${underlay}.${i}`
    // Made across the two namespaces at once: nothing appears in the root namespace.
    await local.exec(words(`ip -n ${fabric} link add p${i} type veth peer name eth0 netns ${namespace}`))
    await local.exec(['ip', '-n', fabric, 'link', 'set', 'dev', `p${i}`, 'master', 'br-fab', 'up'])
    await local.exec(['ip', '-n', namespace, 'addr', 'add', `${tunnelIp}/24`, 'dev', 'eth0'])
    await local.exec(['ip', '-n', namespace, 'link', 'set', 'dev', 'eth0', 'up'])
    // Bridged frames inside the hosts go through iptables, as security groups need.
    await exec(
      namespace,
      words('sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1'),
    )
    hosts.push({
      name: `h${i}`,
      namespace,
      tunnelIp,
      transport: netnsTransport(namespace, local),
      namespacePrefix: hostPrefixes[i - 1] as string,
    })
  }
  for (const host of hosts.slice(1)) {
    if (!(await pingFrom(hosts[0] as NetnsHost, host.tunnelIp)))
      throw new Error(`underlay: ${hosts[0]?.namespace} cannot reach ${host.tunnelIp}`)
  }
  let downed: Promise<void> | undefined
  return {
    prefix,
    hosts,
    fabric,
    addNamespace: (name) => create(`${prefix}-${name}`),
    run: (ns, argv, runOptions) => local.run(['ip', 'netns', 'exec', ns, ...argv], runOptions),
    exec,
    down() {
      downed ??= removeAll(stateFile, prefix, hostPrefixes).finally(() => live.delete(prefix))
      return downed
    },
  }
}

async function pingFrom(host: NetnsHost, address: string): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = await host.transport.run(['ping', '-c', '1', '-W', '2', '-q', address])
    if (result.exitCode === 0) return true
  }
  return false
}

/** Removes the namespaces of the state file (newest first) and those of the hosts' prefixes, then the file. */
async function removeAll(stateFile: string, prefix: string, hostPrefixes: readonly string[]): Promise<void> {
  const recorded = existsSync(stateFile)
    ? (await readFile(stateFile, 'utf8'))
        .split('\n')
        .flatMap((line) => (line.startsWith(`netns ${prefix}-`) ? [line.slice(6)] : []))
    : []
  const present = await namespaces()
  const made = present.filter((ns) => hostPrefixes.some((p) => ns.startsWith(p)))
  for (const ns of [...made, ...recorded.reverse()]) if (present.includes(ns)) await deleteNamespace(ns)
  await rm(stateFile, { force: true })
}

async function namespaces(): Promise<string[]> {
  const { stdout } = await local.exec(['ip', 'netns', 'list'])
  return stdout
    .split('\n')
    .flatMap((line) => (line.trim() === '' ? [] : [line.trim().split(/\s+/)[0] as string]))
}

/** Ends the processes left in `ns` (only tests and the drivers they run ever enter it), then deletes it. */
async function deleteNamespace(ns: string): Promise<void> {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const pids = await pidsIn(ns)
    if (pids.length === 0) break
    for (const pid of pids) killQuietly(pid, signal)
    for (let i = 0; i < 20 && (await pidsIn(ns)).length > 0; i++) await sleep(50)
  }
  await local.run(['ip', 'netns', 'del', ns])
}

async function pidsIn(ns: string): Promise<number[]> {
  const { stdout } = await local.run(['ip', 'netns', 'pids', ns])
  return stdout.split('\n').flatMap((line) => (/^\d+$/.test(line.trim()) ? [Number(line.trim())] : []))
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}

/** A process that exits without `down()` still removes its namespaces (synchronously, on the way out). */
function installExitHook(): void {
  if (exitHook) return
  exitHook = true
  process.once('exit', () => {
    for (const [prefix, hostPrefixes] of live) {
      const file = join(STATE_DIR, `${prefix}.state`)
      const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? ''
      const names = list.split('\n').map((line) => line.trim().split(/\s+/)[0] ?? '')
      const ours = (name: string) => [`${prefix}-`, ...hostPrefixes].some((p) => name.startsWith(p))
      for (const ns of names.filter(ours)) {
        const pids = (spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '').split('\n')
        for (const pid of pids.filter((p) => /^\d+$/.test(p.trim()))) killQuietly(Number(pid), 'SIGKILL')
        spawnSync('ip', ['netns', 'del', ns])
      }
      spawnSync('rm', ['-f', file])
    }
  })
}
