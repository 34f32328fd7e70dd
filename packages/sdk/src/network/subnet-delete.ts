import type { Transaction } from '../store/types.js'

/**
 * Removes subnets with their free ranges, tags and the addresses the network's own ports (DHCP) hold in them.
 * Callers have checked that no other port holds an address there.
 */
export async function deleteSubnetRows(tx: Transaction, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return
  await tx.db.deleteFrom('net_ip_allocations').where('subnet_id', 'in', ids).execute()
  await tx.db.deleteFrom('net_ip_free_ranges').where('subnet_id', 'in', ids).execute()
  await tx.db.deleteFrom('net_tags').where('resource_id', 'in', ids).execute()
  await tx.db.deleteFrom('net_subnets').where('id', 'in', ids).execute()
}
