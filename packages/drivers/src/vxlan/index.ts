/**
 * The Linux network driver of Nubis: VXLAN (and GRE, VLAN, flat) networks on Linux bridges, iptables + ipset
 * security groups, router and DHCP namespaces, built on each host through its Transport.
 *
 * @example
 * import { vxlanNetwork } from '@nubis/drivers/vxlan'
 * const network = vxlanNetwork({
 *   hosts: [
 *     { name: 'hv1', transport: hv1, tunnelIp: '10.0.0.11', physicalNetworks: { public: 'eth1' } },
 *     { name: 'hv2', transport: hv2, tunnelIp: '10.0.0.12', physicalNetworks: { public: 'eth1' } },
 *   ],
 * })
 *
 * @packageDocumentation
 */
import { vxlanNetwork } from './driver.js'

export type { VxlanHostOptions, VxlanNetworkOptions } from './options.js'
export { vxlanNetwork }

/** Alias of {@link vxlanNetwork}, the name the design guide uses: `network: { driver: vxlan({ hosts }) }`. */
export const vxlan = vxlanNetwork
