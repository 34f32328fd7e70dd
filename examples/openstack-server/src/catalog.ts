import type { Cloud } from '@nubis/sdk'

/** The region every endpoint of the example server is in, as in DevStack. */
export const REGION = 'RegionOne'

/**
 * The services of the catalog and their paths on this server's one port. All are registered from the start,
 * so clients find them; each path answers once its service has landed.
 */
export const CATALOG: readonly { type: string; name: string; path: string }[] = [
  { type: 'identity', name: 'keystone', path: '/identity' },
  { type: 'compute', name: 'nova', path: '/compute/v2.1' },
  { type: 'network', name: 'neutron', path: '/network' },
  { type: 'volumev3', name: 'cinderv3', path: '/volume/v3/$(project_id)s' },
  { type: 'block-storage', name: 'cinder', path: '/volume/v3/$(project_id)s' },
  { type: 'image', name: 'glance', path: '/image' },
  { type: 'object-store', name: 'swift', path: '/object-store/v1/AUTH_$(project_id)s' },
]

/**
 * Makes the catalog point at `baseUrl`: creates the region, the services and their public endpoints that are
 * missing, and moves those whose URL changed (a new port). Idempotent; runs at every start.
 */
export async function syncCatalog(cloud: Cloud, baseUrl: string): Promise<void> {
  const ctx = cloud.system()
  const { identity } = cloud
  await identity.getRegion(ctx, REGION).catch(() => identity.createRegion(ctx, { id: REGION }))
  const services = (await identity.listServices(ctx)).items
  const endpoints = (await identity.listEndpoints(ctx, { interface: 'public' })).items
  for (const entry of CATALOG) {
    const service =
      services.find((s) => s.type === entry.type) ??
      (await identity.createService(ctx, { type: entry.type, name: entry.name }))
    const url = `${baseUrl}${entry.path}`
    const endpoint = endpoints.find((e) => e.serviceId === service.id)
    if (!endpoint) {
      await identity.createEndpoint(ctx, {
        serviceId: service.id,
        regionId: REGION,
        interface: 'public',
        url,
      })
    } else if (endpoint.url !== url) {
      await identity.updateEndpoint(ctx, endpoint.id, { url })
    }
  }
}
