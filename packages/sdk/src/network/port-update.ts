import { isoTime } from '../core/clock.js'
import { parseOrThrow } from '../core/errors.js'
import { casUpdate } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import type { NetworkApi } from './api.js'
import { bool, conflict, json } from './common.js'
import type { NetworkDeps } from './deps.js'
import { lockRows } from './locks.js'
import { portHosts, rereadPort, stateOnlyBinding } from './port-binding.js'
import { checkAddressPairs, checkGroups } from './port-checks.js'
import { writeGroups } from './port-insert.js'
import { assignFixedIps, type FixedIpRequest, releaseFixedIps } from './port-ips.js'
import { loadFixedIps, loadPortGroups, type PortRow, portEvent, visiblePort } from './port-rows.js'
import { PortUpdateSchema } from './port-schemas.js'

/**
 * Replaces the fixed IPs of port `row`: the wanted ones it already holds stay, the others go back to the pools,
 * the new ones are allocated. `CONFLICT` while a floating IP is associated with an address that would go.
 */
async function replaceFixedIps(
  tx: Transaction,
  row: PortRow,
  wanted: readonly FixedIpRequest[],
  mac: string,
): Promise<void> {
  const id = row.id
  const held = (await loadFixedIps(tx.db, [id])).get(id) ?? []
  const keep = held.filter((ip) =>
    wanted.some((want) => want.ipAddress === ip.ipAddress && (want.subnetId ?? ip.subnetId) === ip.subnetId),
  )
  const floating = await tx.db
    .selectFrom('net_floating_ips')
    .select(['id', 'fixed_ip_address'])
    .where('fixed_port_id', '=', id)
    .execute()
  const orphaned = floating.find((fip) => !keep.some((ip) => ip.ipAddress === fip.fixed_ip_address))
  if (orphaned) {
    throw conflict(
      'FloatingIPPortAlreadyAssociated',
      `Floating IP ${orphaned.id} is associated with ${orphaned.fixed_ip_address} of port ${id}: disassociate it first.`,
    )
  }
  await releaseFixedIps(tx, id, keep)
  const fresh = wanted.filter((want) => !keep.some((ip) => ip.ipAddress === want.ipAddress))
  await assignFixedIps(tx, row.network_id, id, mac, fresh)
}

/** Updating a port: fields, MAC (unbound ports only), groups, address pairs, fixed IPs and binding. */
export function portUpdateApi(deps: NetworkDeps): Pick<NetworkApi, 'updatePort'> {
  const { store, policy, events } = deps
  return {
    async updatePort(ctx, id, patch) {
      const body = parseOrThrow(PortUpdateSchema, patch, 'port update')
      await store.transaction(async (tx) => {
        const { row, target } = await visiblePort(tx.db, ctx, id)
        policy.enforce(ctx, 'network:update_port', target)
        if (body.bindingHostId !== undefined || body.bindingProfile !== undefined)
          policy.enforce(ctx, 'network:update_port:binding', target)
        if (body.macAddress !== undefined && body.macAddress !== row.mac_address) {
          policy.enforce(ctx, 'network:create_port:mac_address', target)
          if (row.binding_host_id !== '')
            throw conflict(
              'PortBound',
              `Unable to complete operation on port ${id}: the MAC of a bound port cannot change.`,
            )
        }
        const oldGroups = (await loadPortGroups(tx.db, [id])).get(id) ?? []
        const portSecurity = body.portSecurityEnabled ?? bool(row.port_security)
        const groups = body.securityGroups ?? oldGroups
        if (!portSecurity && groups.length > 0) {
          throw conflict(
            'PortSecurityPortHasSecurityGroup',
            'Port has security group associated. Cannot disable port security or IP address until security group is removed',
          )
        }
        if (body.securityGroups !== undefined) await lockRows(tx, 'net_security_groups', groups)
        await checkGroups(tx, ctx, row.project_id, groups)
        const pairs = body.allowedAddressPairs?.map((pair) => ({
          ipAddress: pair.ipAddress,
          macAddress: pair.macAddress ?? row.mac_address,
        }))
        checkAddressPairs(pairs ?? json(row.allowed_address_pairs), portSecurity)
        if (body.fixedIps !== undefined)
          await replaceFixedIps(tx, row, body.fixedIps, body.macAddress ?? row.mac_address)
        const host = body.bindingHostId ?? row.binding_host_id
        const profile = body.bindingProfile ? JSON.stringify(body.bindingProfile) : row.binding_profile
        const hostsBefore = await portHosts(deps, tx, row, oldGroups)
        const updated = await casUpdate(
          tx,
          'net_ports',
          id,
          row.revision,
          {
            name: body.name ?? row.name,
            description: body.description ?? row.description,
            admin_state_up: body.adminStateUp === undefined ? row.admin_state_up : body.adminStateUp ? 1 : 0,
            mac_address: body.macAddress ?? row.mac_address,
            device_owner: body.deviceOwner ?? row.device_owner,
            device_id: body.deviceId ?? row.device_id,
            binding_host_id: host,
            binding_profile: profile,
            binding_vnic_type: body.bindingVnicType ?? row.binding_vnic_type,
            port_security: portSecurity ? 1 : 0,
            allowed_address_pairs: pairs ? JSON.stringify(pairs) : row.allowed_address_pairs,
            ...(host !== row.binding_host_id ? { binding_vif_type: 'unbound', status: 'DOWN' } : {}),
            ...stateOnlyBinding(deps, host, profile),
          },
          { type: 'port', now: isoTime(deps.clock.now()) },
        )
        if (body.securityGroups !== undefined) await writeGroups(tx, id, groups)
        deps.dataPlane.syncAfterCommit(tx, [...hostsBefore, ...(await portHosts(deps, tx, updated, groups))])
        events.emitAfterCommit(tx, 'network.port.updated', portEvent(updated))
      })
      return rereadPort(deps, ctx, id)
    },
  }
}
