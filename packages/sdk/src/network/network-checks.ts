import type { Db } from '../store/types.js'
import { conflict } from './common.js'
import type { NetworkRow } from './network-rows.js'

// What a network update must not break: other projects' ports on a network made private, router gateways and
// floating IPs on a network made internal. Neutron answers both with a 409.

/** A shared network cannot become private while other projects have ports on it (Neutron's InvalidSharedSetting). */
export async function refuseUnsharingInUse(db: Db, row: NetworkRow): Promise<void> {
  const foreign = await db
    .selectFrom('net_ports')
    .select('id')
    .where('network_id', '=', row.id)
    .where('project_id', '!=', row.project_id)
    .where('device_owner', 'not like', 'network:%')
    .executeTakeFirst()
  if (foreign) {
    throw conflict(
      'InvalidSharedSetting',
      `Unable to reconfigure sharing settings for network ${row.id}. Multiple tenants are using it.`,
    )
  }
}

/** An external network cannot become internal while router gateways or floating IPs use it (ExternalNetworkInUse). */
export async function refuseExternalInUse(db: Db, id: string): Promise<void> {
  const used = await db
    .selectFrom('net_ports')
    .select('id')
    .where('network_id', '=', id)
    .where('device_owner', 'in', ['network:router_gateway', 'network:floatingip'])
    .executeTakeFirst()
  if (used) {
    throw conflict(
      'ExternalNetworkInUse',
      `External network ${id} cannot be updated, as it is used by one or more routers or floating IPs.`,
    )
  }
}
