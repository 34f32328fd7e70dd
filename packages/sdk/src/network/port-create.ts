import { parseOrThrow } from '../core/errors.js'
import type { Transaction } from '../store/types.js'
import type { NetworkApi } from './api.js'
import { bool, conflict, resourceProject } from './common.js'
import { ensureDefaultGroup } from './default-group.js'
import type { NetworkDeps } from './deps.js'
import { lockRows } from './locks.js'
import { visibleNetwork } from './network-rows.js'
import { portHosts, rereadPort, stateOnlyBinding } from './port-binding.js'
import { checkAddressPairs, checkGroups } from './port-checks.js'
import { insertPort } from './port-insert.js'
import { portEvent, portRecord, toPorts } from './port-rows.js'
import { PortCreateSchema } from './port-schemas.js'
import type { Port } from './records.js'

/**
 * The port a replayed create made already: the same id on the same network and project. The same id anywhere
 * else is a CONFLICT, never someone else's port.
 */
async function replayed(
  tx: Transaction,
  id: string,
  networkId: string,
  projectId: string,
): Promise<Port | undefined> {
  const row = await tx.db.selectFrom('net_ports').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) return undefined
  if (row.network_id !== networkId || row.project_id !== projectId) {
    throw conflict('PortExists', `A port with id ${id} already exists.`)
  }
  return (await toPorts(tx.db, [row]))[0]
}

/** Creating a port: policy per field, quota, port security and groups, then addresses, MAC and binding. */
export function portCreateApi(deps: NetworkDeps): Pick<NetworkApi, 'createPort'> {
  const { store, policy, events } = deps
  return {
    async createPort(ctx, input) {
      const body = parseOrThrow(PortCreateSchema, input, 'port')
      const port = await store.transaction(async (tx) => {
        const network = await visibleNetwork(tx.db, ctx, body.networkId)
        const projectId = resourceProject(ctx, body.projectId)
        const owner = body.deviceOwner ?? ''
        const target = {
          project_id: projectId,
          network_owner: network.project_id,
          not_network_device: !owner.startsWith('network:'),
        }
        policy.enforce(ctx, 'network:create_port', target)
        if (body.macAddress !== undefined) policy.enforce(ctx, 'network:create_port:mac_address', target)
        if (body.fixedIps?.some((ip) => ip.ipAddress !== undefined))
          policy.enforce(ctx, 'network:create_port:fixed_ips:ip_address', target)
        if (body.bindingHostId !== undefined || body.bindingProfile !== undefined)
          policy.enforce(ctx, 'network:create_port:binding', target)
        if (body.deviceOwner !== undefined) policy.enforce(ctx, 'network:create_port:device_owner', target)
        if (body.portSecurityEnabled !== undefined)
          policy.enforce(ctx, 'network:create_port:port_security_enabled', target)
        if (body.id !== undefined) {
          const made = await replayed(tx, body.id, network.id, projectId)
          if (made) return made
        }
        await deps.quotas.check(tx, projectId, { port: 1 })
        const portSecurity =
          body.portSecurityEnabled ?? (bool(network.port_security) && !owner.startsWith('network:'))
        const groups = portSecurity
          ? (body.securityGroups ?? [await ensureDefaultGroup(deps, tx, projectId)])
          : (body.securityGroups ?? [])
        // The project's default group was just found or made in this transaction: only named groups need checks.
        if (body.securityGroups !== undefined) {
          await lockRows(tx, 'net_security_groups', groups)
          await checkGroups(tx, ctx, projectId, groups)
        }
        checkAddressPairs(body.allowedAddressPairs ?? [], portSecurity)
        const { row, fixedIps } = await insertPort(deps, tx, network, {
          ...body,
          projectId,
          portSecurity,
          securityGroups: groups,
          allowedAddressPairs: body.allowedAddressPairs?.map((pair) => ({
            ipAddress: pair.ipAddress,
            macAddress: pair.macAddress ?? '',
          })),
        })
        const binding = stateOnlyBinding(deps, row.binding_host_id, row.binding_profile)
        if (row.binding_host_id !== '' && binding.status)
          await tx.db.updateTable('net_ports').set(binding).where('id', '=', row.id).execute()
        deps.dataPlane.syncAfterCommit(tx, await portHosts(deps, tx, row, groups))
        events.emitAfterCommit(tx, 'network.port.created', portEvent({ ...row, ...binding }))
        return portRecord(
          { ...row, ...binding },
          fixedIps,
          [...new Set(groups)].sort(),
          [...new Set(body.tags ?? [])].sort(),
        )
      })
      // With a data plane the binding's outcome is known only once the host has been applied.
      return deps.dataPlane.enabled ? rereadPort(deps, ctx, port.id) : port
    },
  }
}
