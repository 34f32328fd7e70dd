import type { RequestContext } from '../core/context.js'
import type { Transaction } from '../store/types.js'
import { parseCidr, parseIp } from './cidr.js'
import { conflict, isAdmin, notFound } from './common.js'

// Checks a port's request makes beyond its schema: groups that exist, address pairs that parse.

/** `NOT_FOUND` for a group that does not exist or belongs to another project (admins may use any). */
export async function checkGroups(
  tx: Transaction,
  ctx: RequestContext,
  projectId: string,
  groups: readonly string[],
): Promise<void> {
  if (groups.length === 0) return
  const rows = await tx.db
    .selectFrom('net_security_groups')
    .select(['id', 'project_id'])
    .where('id', 'in', groups)
    .execute()
  for (const group of groups) {
    const row = rows.find((candidate) => candidate.id === group)
    if (!row || (!isAdmin(ctx) && row.project_id !== projectId)) throw notFound('security_group', group)
  }
}

/** Address pairs: an IP or a CIDR each; only with port security on (Neutron: AddressPairAndPortSecurityRequired). */
export function checkAddressPairs(pairs: readonly { ipAddress: string }[], portSecurity: boolean): void {
  if (pairs.length === 0) return
  if (!portSecurity) {
    throw conflict(
      'AddressPairAndPortSecurityRequired',
      'Port Security must be enabled in order to have allowed address pairs on a port.',
    )
  }
  for (const pair of pairs) {
    if (pair.ipAddress.includes('/')) {
      const [address, prefix] = pair.ipAddress.split('/')
      parseIp(address ?? '', 'allowedAddressPairs')
      if (!/^\d{1,3}$/.test(prefix ?? '')) parseCidr(pair.ipAddress, 'allowedAddressPairs')
    } else {
      parseIp(pair.ipAddress, 'allowedAddressPairs')
    }
  }
}

/** Ports the port API may not delete: they belong to a router or a floating IP and go with it. */
export const ROUTER_OWNED = new Set([
  'network:router_interface',
  'network:router_gateway',
  'network:floatingip',
])
