import type { Cloud } from '@nubis/sdk'
import { authenticate } from '../auth.js'
import { defineApi } from '../define-api.js'
import { neutronErrors } from './errors.js'
import { extensionRoutes } from './extensions.js'
import { floatingIpSpec } from './floating-ips.js'
import { networkSpec } from './networks.js'
import { portSpec } from './ports.js'
import { quotaRoutes } from './quotas.js'
import { type ResourceSpec, resourceRoutes } from './resource.js'
import { routerInterfaceRoutes, routerSpec } from './routers.js'
import { securityGroupRuleSpec, securityGroupSpec } from './security-groups.js'
import { subnetPoolSpec } from './subnetpools.js'
import { subnetSpec } from './subnets.js'
import { tagRoutes } from './tags.js'
import { NEUTRON_V2, versionRoutes } from './versions.js'

/** Options of {@link neutronApi}. */
export interface NeutronApiOptions {
  /** The cloud whose Network service (`cloud.network`) answers. */
  cloud: Cloud
}

/**
 * Neutron v2.0 over `cloud.network`: networks, subnets, subnet pools, ports, security groups and their rules,
 * routers (with interfaces, gateways and static routes), floating IPs, tags, quotas and the extension list, with
 * Neutron's bodies, `fields=`, filters, sorting and paging links. Errors are `{"NeutronError": {…}}`. Policy is
 * the SDK's; this layer only reads Neutron's names and writes them back. Mount it with a prefix; the catalog's
 * network endpoint is that prefix, unversioned, as clients append `/v2.0` themselves:
 *
 * @example
 * await app.register(neutronApi, { prefix: '/network', cloud })
 */
export const neutronApi = defineApi<NeutronApiOptions>({
  name: 'network',
  formatter: neutronErrors,
  versions: [NEUTRON_V2],
  routes(api, { cloud }) {
    api.addHook(
      'onRequest',
      authenticate((token, signal) => cloud.identity.contextFromToken(token, { signal })),
    )
    versionRoutes(api)
    extensionRoutes(api)
    const specs = [
      networkSpec(cloud),
      subnetSpec(cloud),
      subnetPoolSpec(cloud),
      portSpec(cloud),
      securityGroupSpec(cloud),
      securityGroupRuleSpec(cloud),
      routerSpec(cloud),
      floatingIpSpec(cloud),
    ] as ResourceSpec<{ id: string; tags?: string[] }>[]
    for (const spec of specs) resourceRoutes(api, spec)
    routerInterfaceRoutes(api, cloud)
    tagRoutes(api, cloud, specs)
    quotaRoutes(api, cloud)
  },
})
