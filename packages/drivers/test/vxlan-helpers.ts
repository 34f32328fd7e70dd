// Shared pieces of the vxlan driver tests: simulated hosts, state builders, and traffic checks that are
// bounded in time (1 s per probe) and never leave the namespaces the tests make.
import { randomUUID } from 'node:crypto'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { type VxlanNetworkOptions, vxlanNetwork } from '@nubis/drivers/vxlan'
import type { HostNetwork, HostPort, HostSecurityGroupRule, HostState } from '@nubis/sdk'
import { type NetnsHosts, netnsAvailable, startNetnsHosts, udhcpcHookPath } from '@nubis/testing'

/** Whether namespace hosts can run here, asked once per file; tests skip with the reason. */
export const availability = await netnsAvailable()
export const skipReason = availability.ok ? undefined : availability.reason

/** A file's lab: its hosts, a driver managing them, and a private DHCP state dir. */
export interface Lab {
  net: NetnsHosts
  driver: ReturnType<typeof vxlanNetwork>
  stateDir: string
  down(): Promise<void>
}

/** Starts `count` hosts under `prefix` and a driver for them (hosts named h1, h2…). */
export async function startLab(
  prefix: string,
  count: number,
  extra: Partial<VxlanNetworkOptions> & { physicalNetworks?: Record<string, string> } = {},
): Promise<Lab> {
  const net = await startNetnsHosts({ prefix, count })
  const stateDir = await mkdtemp(join(tmpdir(), `nubis-${prefix}-`))
  // dnsmasq runs as nobody and rereads its hosts file on SIGHUP: the directory must be traversable.
  await chmod(stateDir, 0o755)
  const { physicalNetworks, ...options } = extra
  const driver = vxlanNetwork({
    hosts: net.hosts.map((host) => ({
      name: host.name,
      transport: host.transport,
      tunnelIp: host.tunnelIp,
      namespacePrefix: host.namespacePrefix,
      ...(physicalNetworks && { physicalNetworks }),
    })),
    stateDir,
    // NUBIS_TEST_IPTABLES=iptables-legacy runs the same tests on legacy iptables.
    ...(process.env.NUBIS_TEST_IPTABLES === 'iptables-legacy' && { iptables: 'iptables-legacy' as const }),
    ...options,
  })
  return {
    net,
    driver,
    stateDir,
    async down() {
      for (const host of net.hosts) await driver.clearHost(host.name).catch(() => {})
      await net.down()
      await rm(stateDir, { recursive: true, force: true })
    },
  }
}

/** A network of the state. */
export function network(fields: Partial<HostNetwork> & Pick<HostNetwork, 'localId'>): HostNetwork {
  return {
    id: randomUUID(),
    type: 'vxlan',
    segmentationId: 1000 + fields.localId,
    physicalNetwork: null,
    mtu: 1450,
    peers: [],
    ...fields,
  }
}

/** A port whose guest is namespace `netns` (veth), unfiltered unless groups are given. */
export function vethPort(
  net: HostNetwork,
  netns: string,
  ip: string,
  mac: string,
  fields: Partial<HostPort> = {},
): HostPort {
  const id = randomUUID()
  return {
    id,
    networkId: net.id,
    mac,
    fixedIps: [
      {
        subnetId: `${net.id}-v4`,
        ipAddress: ip,
        cidr: `${ip.split('.').slice(0, 3).join('.')}.0/24`,
        ipVersion: 4,
      },
    ],
    device: `tap${id.replaceAll('-', '').slice(0, 11)}`,
    vif: { type: 'veth', netns },
    adminStateUp: true,
    portSecurity: false,
    securityGroupIds: [],
    allowedAddressPairs: [],
    ...fields,
  }
}

/** A security group rule, allow-everything-ingress unless fields say otherwise. */
export function rule(fields: Partial<HostSecurityGroupRule> = {}): HostSecurityGroupRule {
  return {
    id: randomUUID(),
    direction: 'ingress',
    ethertype: 'IPv4',
    protocol: null,
    portRangeMin: null,
    portRangeMax: null,
    remoteIpPrefix: null,
    remoteGroupId: null,
    ...fields,
  }
}

/** An empty state for `host`. */
export function emptyState(host: string): HostState {
  return { host, networks: [], ports: [], securityGroups: [], dhcp: [], routers: [] }
}

/** Adds an address (and optionally a default route) to a guest's eth0. */
export async function configureGuest(
  net: NetnsHosts,
  ns: string,
  cidr: string,
  gateway?: string,
): Promise<void> {
  await net.exec(ns, ['ip', 'addr', 'add', cidr, 'dev', 'eth0'])
  if (gateway) await net.exec(ns, ['ip', 'route', 'add', 'default', 'via', gateway])
}

/** True when `ns` gets an answer from `address` within 3 tries of 1 s (the first may wait for ARP). */
export async function pings(
  net: NetnsHosts,
  ns: string,
  address: string,
  ...args: string[]
): Promise<boolean> {
  for (let attempt = 0; attempt < 3; attempt++) {
    if ((await net.run(ns, ['ping', '-c', '1', '-W', '1', '-q', ...args, address])).exitCode === 0)
      return true
  }
  return false
}

/** One probe of 1 s: for traffic expected to fail, checked right after a success on the same path. */
export async function pingsOnce(
  net: NetnsHosts,
  ns: string,
  address: string,
  ...args: string[]
): Promise<boolean> {
  return (await net.run(ns, ['ping', '-c', '1', '-W', '1', '-q', ...args, address])).exitCode === 0
}

/**
 * Sends a token over TCP from `client` to `address:port` where `server` listens (nc, bounded by timeout);
 * returns what the listener saw: whether the token arrived and the peer address it reported.
 */
export async function tcp(
  net: NetnsHosts,
  server: string,
  port: number,
  client: string,
  address: string,
  timeoutS = 3,
): Promise<{ ok: boolean; peer: string | null }> {
  const token = `nubis-${randomUUID()}`
  const stop = new AbortController()
  const listener = net
    .run(server, ['timeout', String(timeoutS + 2), 'nc', '-l', '-v', '-n', String(port)], {
      signal: stop.signal,
    })
    .catch(() => null)
  for (let i = 0; i < 40; i++) {
    const { stdout } = await net.run(server, ['ss', '-Hltn', `sport = :${port}`])
    if (stdout.trim() !== '') break
    await sleep(25)
  }
  const argv = ['timeout', String(timeoutS), 'nc', '-N', '-w', String(timeoutS), address, String(port)]
  const sent = await net.run(client, argv, { stdin: `${token}\n` })
  // A listener that got its connection exits by itself; one nobody reached is ended (after a grace second
  // if the client thought it got through).
  const timer = setTimeout(() => stop.abort(), sent.exitCode === 0 ? 1_000 : 0)
  const result = await listener
  clearTimeout(timer)
  if (!result) return { ok: false, peer: null }
  const output = `${result.stdout}\n${result.stderr}`
  return { ok: output.includes(token), peer: /Connection received on (\S+) /.exec(output)?.[1] ?? null }
}

/** The MAC `ns` resolved `address` to (its neighbour table). */
export async function neighbourMac(net: NetnsHosts, ns: string, address: string): Promise<string | null> {
  const { stdout } = await net.run(ns, ['ip', '-j', 'neigh', 'show', address])
  const [entry] = JSON.parse(stdout || '[]') as { lladdr?: string }[]
  return entry?.lladdr ?? null
}

/**
 * Runs a DHCP client on the guest's eth0 (udhcpc with the test hook: address, default route and MTU only,
 * never /etc/resolv.conf); resolves with the hook's line, e.g. `dhcp bound: 198.18.100.15/24 router=… mtu=1450`.
 */
export async function dhcpClient(net: NetnsHosts, ns: string): Promise<string> {
  const argv = [
    'timeout',
    '10',
    'udhcpc',
    '-i',
    'eth0',
    '-f',
    '-q',
    '-n',
    '-t',
    '5',
    '-T',
    '1',
    '-O',
    'mtu',
    '-s',
    udhcpcHookPath(),
  ]
  const { stdout } = await net.run(ns, argv)
  return /^dhcp bound: .*$/m.exec(stdout)?.[0] ?? `no lease: ${stdout}`
}
