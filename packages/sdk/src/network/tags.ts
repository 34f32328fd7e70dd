import { z } from 'zod'
import type { RequestContext } from '../core/context.js'
import { CloudError, parseOrThrow } from '../core/errors.js'
import type { NetworkApi, TaggableResource } from './api.js'
import { isAdmin, notFound, writeTags } from './common.js'
import type { NetworkDeps } from './deps.js'
import { visibleNetwork } from './network-rows.js'
import { networkTagSchema } from './schemas.js'

const TABLES = {
  network: 'net_networks',
  subnet: 'net_subnets',
  subnetpool: 'net_subnet_pools',
  port: 'net_ports',
  router: 'net_routers',
  floatingip: 'net_floating_ips',
  security_group: 'net_security_groups',
} as const satisfies Record<TaggableResource, string>

/** Neutron's limit of tags on one resource. */
export const MAX_NETWORK_TAGS = 50

/**
 * Tags may be changed by the resource's project (or an admin). Shared and external networks are visible to others,
 * but tagging them stays with their owner: another project gets FORBIDDEN, never a silent change.
 */
async function ownedResource(deps: NetworkDeps, ctx: RequestContext, type: TaggableResource, id: string) {
  const row = await deps.store.db
    .selectFrom(TABLES[type])
    .select(['id', 'project_id'])
    .where('id', '=', id)
    .executeTakeFirst()
  if (!row) throw notFound(type, id)
  if (!isAdmin(ctx) && row.project_id !== ctx.projectId) {
    // Another project's network the caller can see (shared, external) is forbidden to tag; any other is not found.
    if (type === 'network') {
      await visibleNetwork(deps.store.db, ctx, id)
      throw new CloudError('FORBIDDEN', `Tags of network ${id} belong to its project.`)
    }
    throw notFound(type, id)
  }
  return row
}

async function currentTags(deps: NetworkDeps, id: string): Promise<string[]> {
  const rows = await deps.store.db
    .selectFrom('net_tags')
    .select('tag')
    .where('resource_id', '=', id)
    .orderBy('tag')
    .execute()
  return rows.map((row) => row.tag)
}

/** Tags of Network resources: replace all, add one, remove one. */
export function tagsApi(deps: NetworkDeps): Pick<NetworkApi, 'setTags' | 'addTag' | 'removeTag'> {
  const tagList = z.array(networkTagSchema).max(MAX_NETWORK_TAGS)
  return {
    async setTags(ctx, type, id, tags) {
      const list = parseOrThrow(tagList, tags, 'tags')
      await ownedResource(deps, ctx, type, id)
      await deps.store.transaction((tx) => writeTags(tx, id, list))
      return [...new Set(list)].sort()
    },
    async addTag(ctx, type, id, tag) {
      parseOrThrow(networkTagSchema, tag, 'tag')
      await ownedResource(deps, ctx, type, id)
      const tags = await currentTags(deps, id)
      if (tags.includes(tag)) return
      parseOrThrow(tagList, [...tags, tag], 'tags')
      await deps.store.transaction((tx) => writeTags(tx, id, [...tags, tag]))
    },
    async removeTag(ctx, type, id, tag) {
      await ownedResource(deps, ctx, type, id)
      const tags = await currentTags(deps, id)
      if (!tags.includes(tag))
        throw new CloudError('NOT_FOUND', `Tag ${tag} could not be found for ${type} ${id}.`)
      await deps.store.transaction((tx) =>
        writeTags(
          tx,
          id,
          tags.filter((t) => t !== tag),
        ),
      )
    },
  }
}
