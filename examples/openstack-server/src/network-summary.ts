import type { NetworkDriver } from '@nubis/sdk'
import type { ProbeResult } from './probe.js'

// What the banner and `nubis doctor` say about the network driver. Types only from the SDK: `nubis doctor` and
// `--help` load this without the SDK.

/** What the vxlan driver needs on a host; `nubis doctor` probes each. */
export const VXLAN_NEEDS = ['iproute2', 'vxlan', 'iptables', 'ipset', 'dnsmasq'] as const

/**
 * One line saying what the network driver does, read off the driver itself so it cannot drift from the code:
 * `records only, no data plane: packets do not flow (driver state-only)`, or `data plane: packets flow between
 * ports (driver vxlan)`.
 */
export function describeNetworkDriver(driver: Pick<NetworkDriver, 'name' | 'capabilities'>): string {
  return driver.capabilities.dataPlane
    ? `data plane: packets flow between ports (driver ${driver.name})`
    : `records only, no data plane: packets do not flow (driver ${driver.name})`
}

/** Whether this machine has what the vxlan driver needs, as a clause to append to the driver's line. */
export function vxlanHint(probes: readonly ProbeResult[]): string {
  const missing = VXLAN_NEEDS.filter((name) => !probes.find((probe) => probe.name === name)?.available)
  if (missing.length === 0) return '; the vxlan driver could carry packets here'
  return `; the vxlan driver would need ${missing.join(', ')}`
}
