import type { Db } from '../store/types.js'
import { parseCidr, parseIp, within } from './cidr.js'
import { invalidInput } from './common.js'
import { routerIps } from './router-rows.js'
import { checkRoutes } from './subnet-checks.js'

// A router's static routes (Neutron's extraroute): each next hop must be a neighbour on one of the router's
// subnets (interfaces or gateway), and not one of the router's own addresses, or packets would go nowhere.

/** A static route. */
export interface Route {
  destination: string
  nexthop: string
}

function invalidRoutes(routes: readonly Route[], reason: string) {
  return invalidInput(`Invalid format for routes: ${JSON.stringify(routes)}, ${reason}`, 'routes')
}

/** Normalizes and checks `routes` for router `routerId`; `INVALID` naming the reason otherwise. */
export async function checkRouterRoutes(
  db: Db,
  routerId: string,
  routes: readonly Route[],
): Promise<Route[]> {
  // checkRoutes takes one IP version; a router mixes both, so each route is checked in its next hop's version.
  const out = routes.map(
    (route) => checkRoutes(parseIp(route.nexthop, 'routes').version, [route], 'routes')[0]!,
  )
  const keys = out.map((route) => `${route.destination} ${route.nexthop}`)
  if (new Set(keys).size !== keys.length) throw invalidRoutes(routes, 'duplicate route')
  if (out.length === 0) return out
  const held = await routerIps(db, routerId)
  const subnets = [...new Map(held.map((ip) => [ip.subnetId, parseCidr(ip.cidr)])).values()]
  for (const route of out) {
    const hop = parseIp(route.nexthop)
    if (!subnets.some((cidr) => cidr.version === hop.version && within(cidr, hop.value))) {
      throw invalidRoutes(routes, 'the nexthop is not connected with router')
    }
    if (held.some((ip) => ip.ipAddress === route.nexthop)) {
      throw invalidRoutes(routes, 'the nexthop is used by router')
    }
  }
  return out
}
