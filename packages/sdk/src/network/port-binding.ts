import type { RequestContext } from '../core/context.js'
import type { Transaction } from '../store/types.js'
import { vifTypeOf } from './data-plane.js'
import type { NetworkDeps } from './deps.js'
import { type PortRow, toPorts, visiblePort } from './port-rows.js'
import type { Port } from './records.js'

// Where a change to a port lands. With a data plane, the hosts it concerns are synced after the commit and the
// binding's outcome is read back once they have been applied; without one, the binding is recorded at once.

/** Hosts a change to this port concerns: where it is bound, where its network is, where its groups filter. */
export async function portHosts(
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
export function stateOnlyBinding(deps: NetworkDeps, host: string, profile: string) {
  if (deps.dataPlane.enabled) return {}
  return host === ''
    ? { binding_vif_type: 'unbound', status: 'DOWN' }
    : { binding_vif_type: vifTypeOf(profile), status: 'ACTIVE' }
}

/** The port `id` as `ctx` sees it once the data plane has applied the pending changes (and so the binding). */
export async function rereadPort(deps: NetworkDeps, ctx: RequestContext, id: string): Promise<Port> {
  await deps.dataPlane.flush()
  return (await toPorts(deps.store.db, [(await visiblePort(deps.store.db, ctx, id)).row]))[0]!
}
