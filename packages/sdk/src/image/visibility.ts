import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely'
import type { RequestContext } from '../core/context.js'
import type { Tables } from '../store/types.js'

type Eb = ExpressionBuilder<Tables, 'image_images'>

/**
 * True for contexts that see every image, as Glance's admins do: trusted host jobs and admin-role tokens.
 * Whether they may act on what they see is still up to the policy.
 */
export function seesAll(ctx: RequestContext): boolean {
  return ctx.trusted || ctx.roles.includes('admin')
}

/** Member statuses that make a shared image visible to the member. */
export type MemberVisibility = 'pending' | 'accepted' | 'rejected' | 'all'

const memberOf = (eb: Eb, projectId: string, statuses: MemberVisibility) => {
  let members = eb
    .selectFrom('image_members')
    .select('image_members.image_id')
    .whereRef('image_members.image_id', '=', 'image_images.id')
    .where('image_members.member_id', '=', projectId)
  if (statuses !== 'all') members = members.where('image_members.status', '=', statuses)
  return eb.exists(members)
}

/**
 * What `getImage` may return to `ctx`: owned, public, community, or shared with its project (in any member
 * status, as Glance lets a member see an image before accepting it).
 */
export function canGet(ctx: RequestContext) {
  return (eb: Eb): Expression<SqlBool> => {
    if (seesAll(ctx)) return sql<SqlBool>`1 = 1`
    const project = ctx.projectId ?? ''
    return eb.or([
      eb('image_images.owner', '=', project),
      eb('image_images.visibility', 'in', ['public', 'community']),
      eb.and([eb('image_images.visibility', '=', 'shared'), memberOf(eb, project, 'all')]),
    ])
  }
}

/**
 * What `listImages` shows for a visibility filter, after Glance: without one, owned + public + shared images
 * accepted by the caller's project (community images only when asked for); `all` adds community images.
 */
export function canList(ctx: RequestContext, visibility: string | undefined, memberStatus: MemberVisibility) {
  return (eb: Eb): Expression<SqlBool> => {
    const project = ctx.projectId ?? ''
    const admin = seesAll(ctx)
    const owned = admin ? sql<SqlBool>`1 = 1` : eb('image_images.owner', '=', project)
    const sharedWithMe = admin
      ? eb('image_images.visibility', '=', 'shared')
      : eb.and([eb('image_images.visibility', '=', 'shared'), memberOf(eb, project, memberStatus)])
    switch (visibility) {
      case 'public':
        return eb('image_images.visibility', '=', 'public')
      case 'community':
        return eb('image_images.visibility', '=', 'community')
      case 'private':
        return eb.and([eb('image_images.visibility', '=', 'private'), owned])
      case 'shared':
        return eb.or([
          eb.and([
            eb('image_images.visibility', '=', 'shared'),
            admin ? owned : eb('image_images.owner', '=', project),
          ]),
          sharedWithMe,
        ])
      case 'all':
        return admin
          ? sql<SqlBool>`1 = 1`
          : eb.or([owned, eb('image_images.visibility', 'in', ['public', 'community']), sharedWithMe])
      default:
        return admin
          ? sql<SqlBool>`1 = 1`
          : eb.or([owned, eb('image_images.visibility', '=', 'public'), sharedWithMe])
    }
  }
}
