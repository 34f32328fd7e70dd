import { randomBytes } from 'node:crypto'
import { isoTime } from '../core/clock.js'
import { newId } from '../core/ids.js'
import { newResourceColumns } from '../store/cas.js'
import { preparedStatement } from '../store/prepared.js'
import type { Transaction } from '../store/types.js'
import { conflict, invalidInput, writeTags } from './common.js'
import type { NetworkDeps } from './deps.js'
import type { NetworkRow } from './network-rows.js'
import { assignFixedIps, type FixedIpRequest, releaseFixedIps } from './port-ips.js'
import type { PortRow } from './port-rows.js'
import type { FixedIp } from './records.js'

// Making and removing port rows, shared by the port API and by the service's own ports (DHCP, router
// interfaces and gateways, floating IPs), so every port gets its MAC, addresses and groups the same way.

/** What a new port is made of; defaults as Neutron's. */
export interface PortSpec {
  /** A caller-chosen id; default a new UUID. */
  id?: string
  projectId: string
  name?: string
  description?: string
  adminStateUp?: boolean
  macAddress?: string
  /** Undefined: automatic addresses; `[]`: none. */
  fixedIps?: readonly FixedIpRequest[]
  deviceOwner?: string
  deviceId?: string
  bindingHostId?: string
  bindingProfile?: Record<string, unknown>
  bindingVnicType?: string
  portSecurity: boolean
  securityGroups: readonly string[]
  allowedAddressPairs?: readonly { ipAddress: string; macAddress: string }[]
  tags?: readonly string[]
}

/** A random MAC under the configured prefix, unique on the network. */
async function freeMac(deps: NetworkDeps, tx: Transaction, networkId: string): Promise<string> {
  for (;;) {
    const tail = [...randomBytes(3)].map((byte) => byte.toString(16).padStart(2, '0')).join(':')
    const mac = `${deps.config.macPrefix}:${tail}`
    if (!(await macTaken(tx, networkId, mac))) return mac
  }
}

async function macTaken(tx: Transaction, networkId: string, mac: string): Promise<boolean> {
  return (await portWithMac(tx, networkId, mac)).rows.length > 0
}

// Compiled once: every port create checks its new MAC.
const portWithMac = preparedStatement((db, networkId: string, mac: string) =>
  db.selectFrom('net_ports').select('id').where('network_id', '=', networkId).where('mac_address', '=', mac),
)

/** Inserts a port on `network` with its MAC, addresses and security groups, inside `tx`. */
export async function insertPort(
  deps: NetworkDeps,
  tx: Transaction,
  network: Pick<NetworkRow, 'id'>,
  spec: PortSpec,
): Promise<{ row: PortRow; fixedIps: FixedIp[] }> {
  const id = spec.id ?? newId<'port'>()
  let mac = spec.macAddress
  if (mac !== undefined && (await macTaken(tx, network.id, mac))) {
    throw conflict(
      'MacAddressInUse',
      `Unable to complete operation for network ${network.id}. The mac address ${mac} is in use.`,
    )
  }
  mac ??= await freeMac(deps, tx, network.id)
  if (!spec.portSecurity && spec.securityGroups.length > 0) {
    throw invalidInput(
      'Port has security group associated. Cannot disable port security or IP address until security group is removed',
      'securityGroups',
    )
  }
  const row: PortRow = {
    ...newResourceColumns(id, isoTime(deps.clock.now())),
    project_id: spec.projectId,
    network_id: network.id,
    name: spec.name ?? '',
    description: spec.description ?? '',
    admin_state_up: spec.adminStateUp === false ? 0 : 1,
    status: 'DOWN',
    mac_address: mac,
    device_owner: spec.deviceOwner ?? '',
    device_id: spec.deviceId ?? '',
    binding_host_id: spec.bindingHostId ?? '',
    binding_vif_type: 'unbound',
    binding_vif_details: '{}',
    binding_vnic_type: spec.bindingVnicType ?? 'normal',
    binding_profile: JSON.stringify(spec.bindingProfile ?? {}),
    port_security: spec.portSecurity ? 1 : 0,
    allowed_address_pairs: JSON.stringify(
      (spec.allowedAddressPairs ?? []).map((pair) => ({
        ipAddress: pair.ipAddress,
        macAddress: pair.macAddress || mac,
      })),
    ),
  }
  await tx.db.insertInto('net_ports').values(row).execute()
  const fixedIps = await assignFixedIps(tx, network.id, id, mac, spec.fixedIps)
  await writeGroups(tx, id, spec.securityGroups, { fresh: true })
  if (spec.tags?.length) await writeTags(tx, id, spec.tags)
  return { row, fixedIps }
}

/** Replaces a port's security groups. */
export async function writeGroups(
  tx: Transaction,
  portId: string,
  groups: readonly string[],
  options: { fresh?: boolean } = {},
): Promise<void> {
  // A port just inserted has no groups yet: skip the delete.
  if (!options.fresh)
    await tx.db.deleteFrom('net_port_security_groups').where('port_id', '=', portId).execute()
  const unique = [...new Set(groups)]
  if (unique.length > 0) {
    await tx.db
      .insertInto('net_port_security_groups')
      .values(unique.map((group) => ({ port_id: portId, security_group_id: group })))
      .execute()
  }
}

/** Removes ports with their addresses (given back to the pools), groups and tags. */
export async function deletePortRows(tx: Transaction, ids: readonly string[]): Promise<void> {
  for (const id of ids) await releaseFixedIps(tx, id)
  if (ids.length === 0) return
  await tx.db.deleteFrom('net_port_security_groups').where('port_id', 'in', ids).execute()
  await tx.db.deleteFrom('net_tags').where('resource_id', 'in', ids).execute()
  await tx.db.deleteFrom('net_ports').where('id', 'in', ids).execute()
}
