import type { Quota } from '../core/quota.js'
import type { Tables } from '../store/types.js'

/** Neutron's quota resource names and the table each counts. */
export const NETWORK_QUOTAS = {
  network: 'net_networks',
  subnet: 'net_subnets',
  subnetpool: 'net_subnet_pools',
  port: 'net_ports',
  router: 'net_routers',
  floatingip: 'net_floating_ips',
  security_group: 'net_security_groups',
  security_group_rule: 'net_security_group_rules',
} as const satisfies Record<string, keyof Tables>

/** Registers how each Network quota is counted: the project's rows of its table. */
export function registerNetworkQuotas(quotas: Quota): void {
  for (const [resource, table] of Object.entries(NETWORK_QUOTAS)) {
    quotas.registerUsage(resource, async (tx, projectId) => {
      const row = await tx.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('project_id', '=', projectId)
        .executeTakeFirst()
      return Number(row?.n ?? 0)
    })
  }
}
