import { isoTime } from '../core/clock.js'
import type { RequestContext } from '../core/context.js'
import { parseOrThrow } from '../core/errors.js'
import { paginate } from '../core/pagination.js'
import { casUpdate } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import type { NetworkApi } from './api.js'
import { anyOf, applyCommonFilters, bool, conflict, isAdmin, json, resourceProject } from './common.js'
import { vifTypeOf } from './data-plane.js'
import { ensureDefaultGroup } from './default-group.js'
import type { NetworkDeps } from './deps.js'
import { lockRows } from './locks.js'
import { visibleNetwork } from './network-rows.js'
import { checkAddressPairs, checkGroups, ROUTER_OWNED } from './port-checks.js'
import { deletePortRows, insertPort, writeGroups } from './port-insert.js'
import { assignFixedIps, releaseFixedIps } from './port-ips.js'
import { loadFixedIps, loadPortGroups, type PortRow, portRecord, toPorts, visiblePort } from './port-rows.js'
import { PortCreateSchema, PortFilterSchema, PortUpdateSchema } from './port-schemas.js'

/** Columns ports may be sorted by. */
export const PORT_SORT_KEYS = [
  'name',
  'project_id',
  'network_id',
  'mac_address',
  'status',
  'device_id',
  'device_owner',
  'admin_state_up',
  'created_at',
  'updated_at',
]

/** Hosts a change to this port concerns: where it is bound, where its network is, where its groups filter. */
async function portHosts(
  deps: NetworkDeps,
  tx: Transaction,
  row: PortRow,
  groups: readonly string[],
): Promise<string[]> {
  if (!deps.dataPlane.enabled) return []
  return [
    ...new Set([
      ...(row.binding_host_id ? [row.binding_host_id] : []),
      ...(await deps.dataPlane.hostsOfNetworks(tx.db, [row.network_id])),
      ...(await deps.dataPlane.hostsOfGroups(tx.db, groups)),
    ]),
  ]
}

/** The binding fields when there is no data plane: a port bound to a host is simply recorded as plugged. */
function stateOnlyBinding(deps: NetworkDeps, host: string, profile: string) {
  if (deps.dataPlane.enabled) return {}
  return host === ''
    ? { binding_vif_type: 'unbound', status: 'DOWN' }
    : { binding_vif_type: vifTypeOf(profile), status: 'ACTIVE' }
}

/** Ports: create (addresses, MAC, groups, binding), read, list, update, delete. */
export function portsApi(
  deps: NetworkDeps,
): Pick<NetworkApi, 'createPort' | 'getPort' | 'listPorts' | 'updatePort' | 'deletePort'> {
  const { store, policy, events } = deps

  async function reread(ctx: RequestContext, id: string) {
    await deps.dataPlane.flush()
    return (await toPorts(store.db, [(await visiblePort(store.db, ctx, id)).row]))[0]!
  }

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
      return deps.dataPlane.enabled ? reread(ctx, port.id) : port
    },

    async getPort(ctx, id) {
      const { row, target } = await visiblePort(store.db, ctx, id)
      policy.enforce(ctx, 'network:get_port', target)
      return (await toPorts(store.db, [row]))[0]!
    },

    async listPorts(ctx, input = {}) {
      const { limit, marker, sortKey, sortDir, ...rest } = input
      const filters = parseOrThrow(
        PortFilterSchema.omit({ limit: true, marker: true, sortKey: true, sortDir: true }),
        rest,
        'port filters',
      )
      let qb = applyCommonFilters(store.db.selectFrom('net_ports').selectAll(), 'net_ports', filters)
      if (!isAdmin(ctx)) {
        const project = ctx.projectId ?? ''
        qb = qb.where((eb) =>
          eb.or([
            eb('project_id', '=', project),
            eb.exists(
              eb
                .selectFrom('net_networks')
                .select('net_networks.id')
                .whereRef('net_networks.id', '=', 'net_ports.network_id')
                .where('net_networks.project_id', '=', project),
            ),
          ]),
        )
      }
      if (filters.networkId !== undefined) qb = qb.where('network_id', 'in', anyOf(filters.networkId))
      if (filters.deviceId !== undefined) qb = qb.where('device_id', 'in', anyOf(filters.deviceId))
      if (filters.deviceOwner !== undefined) qb = qb.where('device_owner', 'in', anyOf(filters.deviceOwner))
      if (filters.macAddress !== undefined)
        qb = qb.where('mac_address', '=', filters.macAddress.toLowerCase())
      if (filters.status !== undefined) qb = qb.where('status', '=', filters.status)
      if (filters.adminStateUp !== undefined)
        qb = qb.where('admin_state_up', '=', filters.adminStateUp ? 1 : 0)
      if (filters.bindingHostId !== undefined) qb = qb.where('binding_host_id', '=', filters.bindingHostId)
      for (const ip of filters.fixedIps ?? []) {
        qb = qb.where((eb) => {
          let sub = eb
            .selectFrom('net_ip_allocations')
            .select('net_ip_allocations.port_id')
            .whereRef('net_ip_allocations.port_id', '=', 'net_ports.id')
          if (ip.subnetId !== undefined) sub = sub.where('net_ip_allocations.subnet_id', '=', ip.subnetId)
          if (ip.ipAddress !== undefined) sub = sub.where('net_ip_allocations.ip_address', '=', ip.ipAddress)
          return eb.exists(sub)
        })
      }
      for (const group of filters.securityGroups ?? []) {
        qb = qb.where((eb) =>
          eb.exists(
            eb
              .selectFrom('net_port_security_groups')
              .select('port_id')
              .whereRef('net_port_security_groups.port_id', '=', 'net_ports.id')
              .where('security_group_id', '=', group),
          ),
        )
      }
      const page = await paginate(
        qb,
        'net_ports',
        { limit, marker, sortKey, sortDir },
        { sortable: PORT_SORT_KEYS },
      )
      return { items: await toPorts(store.db, page.items), next: page.next }
    },

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
        if (body.fixedIps !== undefined) {
          const held = (await loadFixedIps(tx.db, [id])).get(id) ?? []
          const keep = held.filter((ip) =>
            body.fixedIps!.some(
              (want) => want.ipAddress === ip.ipAddress && (want.subnetId ?? ip.subnetId) === ip.subnetId,
            ),
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
          const fresh = body.fixedIps.filter((want) => !keep.some((ip) => ip.ipAddress === want.ipAddress))
          await assignFixedIps(tx, row.network_id, id, body.macAddress ?? row.mac_address, fresh)
        }
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
      return reread(ctx, id)
    },

    async deletePort(ctx, id) {
      await store.transaction(async (tx) => {
        const { row, target } = await visiblePort(tx.db, ctx, id)
        policy.enforce(ctx, 'network:delete_port', target)
        if (ROUTER_OWNED.has(row.device_owner) && !ctx.trusted) {
          throw conflict(
            'PortInUse',
            `Port ${id} cannot be deleted directly via the port API: has device owner ${row.device_owner}.`,
          )
        }
        const groups = (await loadPortGroups(tx.db, [id])).get(id) ?? []
        const hosts = await portHosts(deps, tx, row, groups)
        // The port row goes first: a concurrent association locking it waits, then finds it gone.
        await deletePortRows(tx, [id])
        // A floating IP pointing at the port is left unassociated, as Neutron does.
        await tx.db
          .updateTable('net_floating_ips')
          .set({ fixed_port_id: null, fixed_ip_address: null, router_id: null })
          .where('fixed_port_id', '=', id)
          .execute()
        deps.dataPlane.syncAfterCommit(tx, hosts)
        events.emitAfterCommit(tx, 'network.port.deleted', portEvent(row))
      })
      await deps.dataPlane.flush()
    },
  }
}

function portEvent(
  row: Pick<
    PortRow,
    'id' | 'project_id' | 'network_id' | 'device_id' | 'status' | 'binding_host_id' | 'binding_vif_type'
  >,
) {
  return {
    id: row.id,
    projectId: row.project_id,
    networkId: row.network_id,
    deviceId: row.device_id,
    status: row.status,
    bindingHostId: row.binding_host_id,
    bindingVifType: row.binding_vif_type,
  }
}
