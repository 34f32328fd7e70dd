import { CloudError } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'

/** One Neutron API extension as `GET /v2.0/extensions` lists it. */
export interface NeutronExtension {
  alias: string
  name: string
  description: string
  /** When the extension's API last changed, as Neutron dates it. */
  updated: string
}

const ext = (alias: string, name: string, description: string, updated: string): NeutronExtension => ({
  alias,
  name,
  description,
  updated,
})

/**
 * The extensions this API really serves. Clients (Tempest, Nova, Horizon) turn features on by these aliases, so
 * one that is listed but not served breaks them: keep the list honest, and test/tempest/configure.sh's
 * `NETWORK_API_EXTENSIONS` equal to its aliases. Not served, so not listed: address scopes, RBAC, DNS
 * integration, availability zones, agents, DVR/HA routers, QoS, trunks, `fip-port-details`, `extra_dhcp_opt`,
 * `ip-substring-filtering`, stateless security groups.
 */
export const NEUTRON_EXTENSIONS: readonly NeutronExtension[] = [
  ext('network', 'Network', 'Core networks: layer-2 segments ports attach to.', '2012-01-01T10:00:00-00:00'),
  ext(
    'subnet',
    'Subnet',
    'Core subnets: IP ranges of a network, with allocation pools.',
    '2012-01-01T10:00:00-00:00',
  ),
  ext(
    'port',
    'Port',
    'Core ports: a device attached to a network, with its addresses.',
    '2012-01-01T10:00:00-00:00',
  ),
  ext(
    'router',
    'Neutron L3 Router',
    'Router abstraction for L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.',
    '2012-07-20T10:00:00-00:00',
  ),
  ext(
    'ext-gw-mode',
    'Neutron L3 Configurable external gateway mode',
    'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway',
    '2013-03-28T10:00:00-00:00',
  ),
  ext(
    'extraroute',
    'Neutron Extra Route',
    'Extra routes configuration for L3 router',
    '2013-02-01T10:00:00-00:00',
  ),
  ext(
    'external-net',
    'Neutron external network',
    'Adds external network attribute to network resource.',
    '2013-01-14T10:00:00-00:00',
  ),
  ext('security-group', 'security-group', 'The security groups extension.', '2012-10-05T10:00:00-00:00'),
  ext('port-security', 'Port Security', 'Provides port security', '2012-07-23T10:00:00-00:00'),
  ext(
    'port-security-groups-filtering',
    'Port filtering on security groups',
    'Provides security groups filtering when listing ports',
    '2018-01-09T09:00:00-00:00',
  ),
  ext(
    'allowed-address-pairs',
    'Allowed Address Pairs',
    'Provides allowed address pairs',
    '2013-07-23T10:00:00-00:00',
  ),
  ext(
    'binding',
    'Port Binding',
    'Expose port bindings of a virtual port to external application',
    '2014-02-03T10:00:00-00:00',
  ),
  ext(
    'provider',
    'Provider Network',
    'Expose mapping of virtual networks to physical networks',
    '2012-09-07T10:00:00-00:00',
  ),
  ext(
    'quotas',
    'Quota management support',
    'Expose functions for quotas management per project',
    '2012-07-29T10:00:00-00:00',
  ),
  ext(
    'quota_details',
    'Quota details management support',
    'Expose functions for quotas usage statistics per project',
    '2017-02-10T10:00:00-00:00',
  ),
  ext(
    'standard-attr-tag',
    'Tag support for resources with standard attribute: subnet, floatingip, router, network, security_group, port, subnetpool',
    'Enables to set tag on resources with standard attribute.',
    '2017-01-01T00:00:00-00:00',
  ),
  ext(
    'standard-attr-revisions',
    'Resource revision numbers',
    'This extension will display the revision number of neutron resources.',
    '2016-04-11T10:00:00-00:00',
  ),
  ext(
    'standard-attr-description',
    'standard-attr-description',
    'Extension to add descriptions to standard attributes',
    '2016-02-10T10:00:00-00:00',
  ),
  ext(
    'standard-attr-timestamp',
    'Resource timestamps',
    'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.',
    '2016-09-12T10:00:00-00:00',
  ),
  ext(
    'subnet_allocation',
    'Subnet Allocation',
    'Enables allocation of subnets from a subnet pool',
    '2015-03-30T10:00:00-00:00',
  ),
  ext(
    'default-subnetpools',
    'Default Subnetpools',
    'Provides ability to mark and use a subnetpool as the default.',
    '2016-02-18T18:00:00-00:00',
  ),
  ext(
    'net-mtu',
    'Network MTU',
    'Provides MTU attribute for a network resource.',
    '2015-03-25T10:00:00-00:00',
  ),
  ext(
    'net-mtu-writable',
    'Network MTU (writable)',
    'Provides a writable MTU attribute for a network resource.',
    '2017-07-12T00:00:00-00:00',
  ),
  ext(
    'project-id',
    'project_id field enabled',
    'Extension that indicates that project_id field is enabled.',
    '2016-09-09T09:09:09-09:09',
  ),
  ext(
    'pagination',
    'Pagination support',
    'Extension that indicates that pagination is enabled.',
    '2016-06-12T00:00:00-00:00',
  ),
  ext(
    'sorting',
    'Sorting support',
    'Extension that indicates that sorting is enabled.',
    '2016-06-12T00:00:00-00:00',
  ),
  ext(
    'filter-validation',
    'Filter parameters validation',
    'Provides validation on filter parameters.',
    '2018-03-21T10:00:00-00:00',
  ),
]

/** An extension as the API shows it: its description and an empty `links`, as Neutron sends. */
function extensionView(extension: NeutronExtension) {
  return { ...extension, links: [] as unknown[] }
}

type AliasParams = { Params: { alias: string } }

/** `GET /v2.0/extensions` and `GET /v2.0/extensions/{alias}` (404 for an alias not served). */
export function extensionRoutes(api: FastifyInstance): void {
  api.get('/v2.0/extensions', async () => ({ extensions: NEUTRON_EXTENSIONS.map(extensionView) }))
  api.get<AliasParams>('/v2.0/extensions/:alias', async (request) => {
    const extension = NEUTRON_EXTENSIONS.find((item) => item.alias === request.params.alias)
    if (extension === undefined) {
      throw new CloudError('NOT_FOUND', `Extension with alias ${request.params.alias} does not exist`, {
        resource: { type: 'extension', id: request.params.alias },
      })
    }
    return { extension: extensionView(extension) }
  })
}
