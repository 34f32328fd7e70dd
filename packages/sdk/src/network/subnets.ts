import { isoTime } from '../core/clock.js'
import { parseOrThrow } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import type { Transaction } from '../store/types.js'
import type { NetworkApi } from './api.js'
import { type Cidr, overlaps, parseCidr } from './cidr.js'
import { conflict, invalidInput, json, resourceProject, writeTags } from './common.js'
import type { NetworkDeps } from './deps.js'
import { dhcpSubnetsChanged } from './dhcp-ports.js'
import { initFreeRanges, rebuildFreeRanges } from './ipam-ranges.js'
import { networkTarget, visibleNetwork } from './network-rows.js'
import { SubnetCreateSchema, SubnetUpdateSchema } from './schemas.js'
import {
  checkGateway,
  checkIpv6Modes,
  checkNameservers,
  checkPools,
  checkRoutes,
  defaultPools,
  poolsText,
  type Range,
} from './subnet-checks.js'
import { deleteSubnetRows } from './subnet-delete.js'
import { subnetListApi } from './subnet-list.js'
import { cidrFromPool } from './subnet-pools.js'
import { type SubnetRow, toSubnets, visibleSubnet } from './subnet-rows.js'

export { SUBNET_SORT_KEYS } from './subnet-list.js'

/** Refuses a CIDR that overlaps another subnet of the same network (Neutron: 400). */
async function refuseOverlap(tx: Transaction, networkId: string, cidr: Cidr, except?: string) {
  const others = await tx.db
    .selectFrom('net_subnets')
    .select(['id', 'cidr'])
    .where('network_id', '=', networkId)
    .execute()
  for (const other of others) {
    if (other.id !== except && overlaps(parseCidr(other.cidr), cidr)) {
      throw invalidInput(
        `Invalid input for operation: Requested subnet with cidr: ${cidr.text} for network: ${networkId} overlaps with another subnet.`,
        'cidr',
      )
    }
  }
}

/** Subnets: create (by CIDR or from a pool), read, list, update, delete. */
export function subnetsApi(
  deps: NetworkDeps,
): Pick<NetworkApi, 'createSubnet' | 'getSubnet' | 'listSubnets' | 'updateSubnet' | 'deleteSubnet'> {
  const { store, policy, events } = deps
  return {
    async createSubnet(ctx, input) {
      const body = parseOrThrow(SubnetCreateSchema, input, 'subnet')
      checkIpv6Modes(body.ipVersion, body.ipv6AddressMode, body.ipv6RaMode)
      return store.transaction(async (tx) => {
        const network = await visibleNetwork(tx.db, ctx, body.networkId)
        const projectId = resourceProject(ctx, body.projectId ?? network.project_id)
        policy.enforce(ctx, 'network:create_subnet', {
          ...networkTarget(network),
          project_id: projectId,
          network_owner: network.project_id,
        })
        await deps.quotas.check(tx, projectId, { subnet: 1 })
        let cidr: Cidr
        if (body.subnetpoolId !== undefined) {
          cidr = await cidrFromPool(tx, ctx, body.subnetpoolId, body.ipVersion, body.cidr, body.prefixlen)
        } else if (body.cidr !== undefined) {
          cidr = parseCidr(body.cidr, 'cidr', body.ipVersion)
        } else {
          throw invalidInput('a subnet needs a cidr or a subnetpool_id', 'cidr')
        }
        await refuseOverlap(tx, network.id, cidr)
        const gateway = checkGateway(cidr, body.gatewayIp)
        const pools: Range[] = body.allocationPools
          ? checkPools(cidr, gateway, body.allocationPools)
          : defaultPools(cidr, gateway)
        const id = newId<'subnet'>()
        const row: SubnetRow = {
          ...newResourceColumns(id, isoTime(deps.clock.now())),
          project_id: projectId,
          network_id: network.id,
          name: body.name ?? '',
          description: body.description ?? '',
          ip_version: cidr.version,
          cidr: cidr.text,
          gateway_ip: gateway,
          allocation_pools: JSON.stringify(poolsText(pools, cidr.version)),
          enable_dhcp: body.enableDhcp === false ? 0 : 1,
          dns_nameservers: JSON.stringify(checkNameservers(cidr.version, body.dnsNameservers ?? [])),
          host_routes: JSON.stringify(checkRoutes(cidr.version, body.hostRoutes ?? [])),
          ipv6_address_mode: body.ipv6AddressMode ?? null,
          ipv6_ra_mode: body.ipv6RaMode ?? null,
          subnetpool_id: body.subnetpoolId ?? null,
        }
        await tx.db.insertInto('net_subnets').values(row).execute()
        await initFreeRanges(tx, row)
        await writeTags(tx, id, body.tags ?? [])
        await dhcpSubnetsChanged(deps, tx, network.id)
        events.emitAfterCommit(tx, 'network.subnet.created', { id, projectId, networkId: network.id })
        return (await toSubnets(tx.db, [row]))[0]!
      })
    },

    async getSubnet(ctx, id) {
      const { row, target } = await visibleSubnet(store.db, ctx, id)
      policy.enforce(ctx, 'network:get_subnet', target)
      return (await toSubnets(store.db, [row]))[0]!
    },

    ...subnetListApi(deps),

    async updateSubnet(ctx, id, patch) {
      const body = parseOrThrow(SubnetUpdateSchema, patch, 'subnet update')
      return store.transaction(async (tx) => {
        const { row, target } = await visibleSubnet(tx.db, ctx, id)
        policy.enforce(ctx, 'network:update_subnet', target)
        const cidr = parseCidr(row.cidr)
        const version = cidr.version
        const gateway = body.gatewayIp === undefined ? row.gateway_ip : checkGateway(cidr, body.gatewayIp)
        const pools = body.allocationPools
          ? poolsText(checkPools(cidr, gateway, body.allocationPools), version)
          : json<{ start: string; end: string }[]>(row.allocation_pools)
        if (body.gatewayIp !== undefined && body.allocationPools === undefined && gateway !== null) {
          checkPools(cidr, gateway, pools)
        }
        const updated = await casUpdate(
          tx,
          'net_subnets',
          id,
          row.revision,
          {
            name: body.name ?? row.name,
            description: body.description ?? row.description,
            gateway_ip: gateway,
            allocation_pools: JSON.stringify(pools),
            enable_dhcp: body.enableDhcp === undefined ? row.enable_dhcp : body.enableDhcp ? 1 : 0,
            dns_nameservers: body.dnsNameservers
              ? JSON.stringify(checkNameservers(version, body.dnsNameservers))
              : row.dns_nameservers,
            host_routes: body.hostRoutes
              ? JSON.stringify(checkRoutes(version, body.hostRoutes))
              : row.host_routes,
          },
          { type: 'subnet', now: isoTime(deps.clock.now()) },
        )
        if (body.allocationPools) await rebuildFreeRanges(tx, updated)
        await dhcpSubnetsChanged(deps, tx, row.network_id)
        events.emitAfterCommit(tx, 'network.subnet.updated', {
          id,
          projectId: row.project_id,
          networkId: row.network_id,
        })
        return (await toSubnets(tx.db, [updated]))[0]!
      })
    },

    async deleteSubnet(ctx, id) {
      await store.transaction(async (tx) => {
        const { row, target } = await visibleSubnet(tx.db, ctx, id)
        policy.enforce(ctx, 'network:delete_subnet', target)
        // Addresses a port gets by itself (SLAAC, DHCPv6 stateless) go with the subnet, as in Neutron; only
        // router interfaces hold such a subnet. Any other subnet is held by every port but the DHCP one.
        const automatic = row.ipv6_address_mode === 'slaac' || row.ipv6_address_mode === 'dhcpv6-stateless'
        let holders = tx.db
          .selectFrom('net_ip_allocations')
          .innerJoin('net_ports', 'net_ports.id', 'net_ip_allocations.port_id')
          .select('net_ports.id')
          .where('net_ip_allocations.subnet_id', '=', id)
        holders = automatic
          ? holders.where('net_ports.device_owner', '=', 'network:router_interface')
          : holders.where('net_ports.device_owner', '!=', 'network:dhcp')
        const inUse = await holders.executeTakeFirst()
        if (inUse) {
          throw conflict(
            'SubnetInUse',
            `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`,
          )
        }
        await deleteSubnetRows(tx, [id])
        await dhcpSubnetsChanged(deps, tx, row.network_id)
        events.emitAfterCommit(tx, 'network.subnet.deleted', {
          id,
          projectId: row.project_id,
          networkId: row.network_id,
        })
      })
    },
  }
}
