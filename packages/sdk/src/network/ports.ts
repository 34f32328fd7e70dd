import type { NetworkApi } from './api.js'
import { conflict } from './common.js'
import type { NetworkDeps } from './deps.js'
import { portHosts } from './port-binding.js'
import { ROUTER_OWNED } from './port-checks.js'
import { portCreateApi } from './port-create.js'
import { deletePortRows } from './port-insert.js'
import { portListApi } from './port-list.js'
import { loadPortGroups, portEvent, toPorts, visiblePort } from './port-rows.js'
import { portUpdateApi } from './port-update.js'

export { PORT_SORT_KEYS } from './port-list.js'

/** Ports: create (addresses, MAC, groups, binding), read, list, update, delete. */
export function portsApi(
  deps: NetworkDeps,
): Pick<NetworkApi, 'createPort' | 'getPort' | 'listPorts' | 'updatePort' | 'deletePort'> {
  const { store, policy, events } = deps

  return {
    ...portCreateApi(deps),

    async getPort(ctx, id) {
      const { row, target } = await visiblePort(store.db, ctx, id)
      policy.enforce(ctx, 'network:get_port', target)
      return (await toPorts(store.db, [row]))[0]!
    },

    ...portListApi(deps),
    ...portUpdateApi(deps),

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
