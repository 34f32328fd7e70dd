import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { localTransport } from '@nubis/sdk'

// What a machine offers namespace-host tests: whether they can run at all, and which optional kernel
// features (GRE, VLAN) there are, probed in throwaway namespaces.

const local = localTransport()

/** The programs namespace-host tests use, and the Debian packages that bring them. */
const TOOLS = 'ip bridge iptables ip6tables ebtables ipset conntrack dnsmasq udhcpc nc ping nsenter'.split(
  ' ',
)
const PACKAGES =
  'iproute2 iptables ipset conntrack iputils-ping netcat-openbsd dnsmasq-base udhcpc util-linux'

/**
 * Whether namespace hosts can run here: Linux, root, the tools (see `PACKAGES`) and a working `ip netns add`.
 * Tests skip with `reason`.
 */
export async function netnsAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' }
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root' }
  const missing = TOOLS.filter((tool) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool]).status !== 0)
  if (missing.length > 0) {
    return { ok: false, reason: `missing ${missing.join(', ')}: apt-get install ${PACKAGES}` }
  }
  const probe = await withScratchNamespace(async () => true).catch((error: unknown) => String(error))
  return probe === true ? { ok: true } : { ok: false, reason: `ip netns add failed: ${probe}` }
}

/**
 * Whether the kernel can make `gretap` tunnels or 802.1Q `vlan` subinterfaces, tried in a scratch namespace
 * (a kernel without modules has them built in or not at all).
 */
export async function kernelHas(kind: 'gretap' | 'vlan'): Promise<boolean> {
  return withScratchNamespace(async (ns) => {
    const ip = (line: string) => local.run(['ip', '-n', ns, ...line.split(' ')])
    if (kind === 'gretap') {
      return (await ip('link add g0 type gretap key 1 local 198.18.255.1 remote 198.18.255.2')).exitCode === 0
    }
    await ip('link add d0 type veth peer name d1')
    return (await ip('link add link d0 name d0.5 type vlan id 5')).exitCode === 0
  })
}

async function withScratchNamespace<T>(work: (ns: string) => Promise<T>): Promise<T> {
  const ns = `nbprobe-${process.pid}-${randomBytes(3).toString('hex')}`
  await local.exec(['ip', 'netns', 'add', ns])
  try {
    return await work(ns)
  } finally {
    await local.run(['ip', 'netns', 'del', ns])
  }
}

/** Path of the udhcpc hook for test namespaces (`udhcpc -s <path>`): address, route and MTU, no resolv.conf. */
export function udhcpcHookPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'netns', 'udhcpc-hook.sh')
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return candidate
    const parent = dirname(dir)
    if (parent === dir)
      throw new Error('netns/udhcpc-hook.sh of @nubis/testing was not found next to its package.json')
    dir = parent
  }
}
