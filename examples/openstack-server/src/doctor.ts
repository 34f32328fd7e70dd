import { readdir } from 'node:fs/promises'
import type { NetworkDriver } from '@nubis/sdk'
import { describeNetworkDriver, vxlanHint } from './network-summary.js'
import {
  exists,
  inLinkerCache,
  multiarchLibDir,
  notInstalled,
  openable,
  type ProbeResult,
  qemuArch,
  run,
  versionIn,
  versionOf,
} from './probe.js'

export type { ProbeResult } from './probe.js'

/** One check of `nubis doctor`: a name and a function that never throws. */
export interface Probe {
  name: string
  check(): Promise<ProbeResult>
}

async function libvirt(): Promise<ProbeResult> {
  // The kvm driver loads libvirt.so.0 through FFI; virsh is only a convenient source of the version.
  const [file, cached, version] = await Promise.all([
    exists(`${multiarchLibDir()}/libvirt.so.0`),
    inLinkerCache('libvirt.so.0'),
    versionOf('virsh'),
  ])
  if (!file && !cached)
    return { name: 'libvirt', available: false, reason: notInstalled('libvirt.so.0', 'libvirt0') }
  return { name: 'libvirt', available: true, ...(version && { version }) }
}

async function qemu(): Promise<ProbeResult> {
  const binary = `qemu-system-${qemuArch()}`
  const version = await versionOf(binary)
  if (!version) return { name: 'qemu', available: false, reason: notInstalled(binary, 'qemu-system-x86') }
  return { name: 'qemu', available: true, version }
}

async function kvm(): Promise<ProbeResult> {
  const hang =
    'some machines (nested virtualization) hang KVM guests: then use TCG (libvirt domain type qemu)'
  if (!(await exists('/dev/kvm'))) {
    return {
      name: 'kvm',
      available: false,
      reason: 'no /dev/kvm: no hardware virtualization here, QEMU TCG still works',
    }
  }
  if (!(await openable('/dev/kvm'))) {
    return {
      name: 'kvm',
      available: false,
      reason: '/dev/kvm is not usable by this user (join the kvm group)',
    }
  }
  return { name: 'kvm', available: true, reason: hang }
}

async function ceph(): Promise<ProbeResult> {
  const [version, rbd] = await Promise.all([versionOf('ceph'), versionOf('rbd')])
  if (!version || !rbd)
    return { name: 'ceph', available: false, reason: notInstalled('ceph/rbd', 'ceph-common') }
  return { name: 'ceph', available: true, version, reason: 'client tools only: a cluster must be reachable' }
}

async function lvm(): Promise<ProbeResult> {
  const output = await run('lvm', ['version'])
  if (!output) return { name: 'lvm', available: false, reason: notInstalled('lvm', 'lvm2') }
  const version = versionIn(output.stdout.match(/LVM version:\s*(\S+)/)?.[1]) ?? versionIn(output.stdout)
  if (!(await exists('/dev/mapper/control'))) {
    return {
      name: 'lvm',
      available: false,
      ...(version && { version }),
      reason: 'no device-mapper (/dev/mapper/control): metadata works but volumes cannot be activated',
    }
  }
  return { name: 'lvm', available: true, ...(version && { version }) }
}

async function iproute2(): Promise<ProbeResult> {
  const output = await run('ip', ['-V'])
  if (!output) return { name: 'iproute2', available: false, reason: notInstalled('ip', 'iproute2') }
  const version = output.stdout.match(/iproute2-(\S+?),?\s/)?.[1] ?? versionIn(output.stdout)
  return { name: 'iproute2', available: true, ...(version && { version }) }
}

async function vxlan(): Promise<ProbeResult> {
  // Kernels built without module support list built-in drivers under /sys/module and have no modinfo; nothing
  // here creates a device, so the probe cannot disturb the host's network.
  if (await exists('/sys/module/vxlan'))
    return { name: 'vxlan', available: true, reason: 'in the running kernel' }
  if (await run('modinfo', ['vxlan']))
    return { name: 'vxlan', available: true, reason: 'kernel module loadable' }
  return {
    name: 'vxlan',
    available: false,
    reason: 'the kernel has no vxlan module (or kmod is not installed)',
  }
}

function tool(name: string, file: string, debianPackage: string, args?: string[]): Probe {
  return {
    name,
    async check() {
      const version = await versionOf(file, args)
      if (!version) return { name, available: false, reason: notInstalled(file, debianPackage) }
      return { name, available: true, version }
    },
  }
}

async function postgresql(): Promise<ProbeResult> {
  // Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<major>/bin.
  const majors = await readdir('/usr/lib/postgresql').catch(() => [] as string[])
  const candidates = [
    'postgres',
    ...majors
      .sort()
      .reverse()
      .map((major) => `/usr/lib/postgresql/${major}/bin/postgres`),
  ]
  for (const file of candidates) {
    const version = await versionOf(file)
    if (version) return { name: 'postgresql', available: true, version }
  }
  const client = await versionOf('pg_config')
  const reason = notInstalled('PostgreSQL server', 'postgresql')
  return {
    name: 'postgresql',
    available: false,
    reason: client ? `${reason}; only client ${client}` : reason,
  }
}

/** Every probe, in the order `nubis doctor` prints them. */
export const PROBES: readonly Probe[] = [
  { name: 'libvirt', check: libvirt },
  { name: 'qemu', check: qemu },
  { name: 'kvm', check: kvm },
  tool('qemu-img', 'qemu-img', 'qemu-utils'),
  { name: 'ceph', check: ceph },
  { name: 'lvm', check: lvm },
  { name: 'iproute2', check: iproute2 },
  { name: 'vxlan', check: vxlan },
  tool('iptables', 'iptables', 'iptables'),
  tool('ipset', 'ipset', 'ipset', ['version']),
  tool('dnsmasq', 'dnsmasq', 'dnsmasq-base'),
  { name: 'postgresql', check: postgresql },
]

/** Runs all probes in parallel; each has its own short timeout, so the whole takes a few seconds at most. */
export async function runDoctor(probes: readonly Probe[] = PROBES): Promise<ProbeResult[]> {
  return Promise.all(
    probes.map((probe) =>
      probe.check().catch((error: unknown) => ({
        name: probe.name,
        available: false,
        reason: `probe failed: ${error instanceof Error ? error.message : String(error)}`,
      })),
    ),
  )
}

/**
 * The text form of doctor results: one aligned line per probe, then, given the network driver `nubis serve`
 * runs, a line saying whether packets flow with it (the state-only default: they do not) and what a real data
 * plane would need here.
 */
export function formatDoctor(
  results: readonly ProbeResult[],
  network?: Pick<NetworkDriver, 'name' | 'capabilities'>,
): string {
  const width = Math.max(...results.map((result) => result.name.length))
  const lines = results.map((result) => {
    const mark = result.available ? 'yes' : 'no '
    const detail = [result.version, result.reason].filter(Boolean).join(' - ')
    return `  ${mark}  ${result.name.padEnd(width)}  ${detail}`.trimEnd()
  })
  if (network !== undefined) {
    const hint = network.capabilities.dataPlane ? '' : vxlanHint(results)
    lines.push('', `  network driver of nubis serve: ${describeNetworkDriver(network)}${hint}`)
  }
  return `${lines.join('\n')}\n`
}
