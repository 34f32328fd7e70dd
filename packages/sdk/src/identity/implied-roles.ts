import type { Selectable } from 'kysely'
import type { RequestContext } from '../core/context.js'
import { CloudError } from '../core/errors.js'
import type { Db, Transaction } from '../store/types.js'
import { holdersOf } from './cascade.js'
import { notFound } from './common.js'
import type { IdentityDeps } from './deps.js'
import './events.js'
import type { RoleInference, RoleRef } from './role-schemas.js'
import { GLOBAL, type RolesTable } from './role-tables.js'

/** Keystone's `[assignment] prohibited_implied_role`: no rule may hand out `admin`. */
export const PROHIBITED_IMPLIED_ROLES: readonly string[] = ['admin']

/** Implication rules between roles ("holding `member` also gives `reader`"). */
export interface ImpliedRolesApi {
  /** Adds the rule prior ⇒ implied. Cycles, `admin` as implied role, and global ⇒ domain role are refused. */
  createImpliedRole(ctx: RequestContext, priorRoleId: string, impliedRoleId: string): Promise<RoleInference>
  /** The rule prior ⇒ implied, or `NOT_FOUND`. */
  getImpliedRole(ctx: RequestContext, priorRoleId: string, impliedRoleId: string): Promise<RoleInference>
  /** The roles `priorRoleId` implies directly. */
  listImpliedRoles(ctx: RequestContext, priorRoleId: string): Promise<RoleInference>
  /** Every rule, grouped by prior role. */
  listRoleInferenceRules(ctx: RequestContext): Promise<RoleInference[]>
  /** Removes the rule prior ⇒ implied, revoking the tokens of the prior role's holders. */
  deleteImpliedRole(ctx: RequestContext, priorRoleId: string, impliedRoleId: string): Promise<void>
}

const ref = (row: Selectable<RolesTable>): RoleRef => ({
  id: row.id,
  name: row.name,
  domainId: row.domain_id === GLOBAL ? null : row.domain_id,
})

async function role(db: Db, id: string): Promise<Selectable<RolesTable>> {
  const row = await db.selectFrom('identity_roles').selectAll().where('id', '=', id).executeTakeFirst()
  if (!row) throw notFound('role', id)
  return row
}

/** The rules as a map prior ⇒ implied ids. The table is small (a handful of rules per cloud). */
export async function impliedRules(db: Db): Promise<Map<string, string[]>> {
  const rows = await db.selectFrom('identity_implied_roles').selectAll().execute()
  const rules = new Map<string, string[]>()
  for (const row of rows)
    rules.set(row.prior_role_id, [...(rules.get(row.prior_role_id) ?? []), row.implied_role_id])
  return rules
}

/** Every role reachable from `roleId` through the rules, `roleId` excluded. */
export function closure(rules: ReadonlyMap<string, readonly string[]>, roleId: string): string[] {
  const seen = new Set<string>([roleId])
  const queue = [roleId]
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    for (const implied of rules.get(next) ?? []) {
      if (!seen.has(implied)) {
        seen.add(implied)
        queue.push(implied)
      }
    }
  }
  seen.delete(roleId)
  return [...seen]
}

async function inference(
  db: Db,
  prior: Selectable<RolesTable>,
  impliedIds: string[],
): Promise<RoleInference> {
  const implied = impliedIds.length
    ? await db
        .selectFrom('identity_roles')
        .selectAll()
        .where('id', 'in', impliedIds)
        .orderBy('name')
        .execute()
    : []
  return { priorRole: ref(prior), implies: implied.map(ref) }
}

/** Builds the {@link ImpliedRolesApi}. */
export function impliedRolesApi(deps: IdentityDeps): ImpliedRolesApi {
  const { store, policy, events } = deps
  const revokeHolders = async (tx: Transaction, priorRoleId: string) => {
    for (const userId of await holdersOf(tx, [priorRoleId]))
      await deps.revoke(tx, { userId, roleId: priorRoleId })
  }

  return {
    async createImpliedRole(ctx, priorRoleId, impliedRoleId) {
      policy.enforce(ctx, 'identity:create_implied_role', { role_id: priorRoleId })
      return store.transaction(async (tx) => {
        const prior = await role(tx.db, priorRoleId)
        const implied = await role(tx.db, impliedRoleId)
        if (PROHIBITED_IMPLIED_ROLES.includes(implied.name) && implied.domain_id === GLOBAL) {
          throw new CloudError('FORBIDDEN', `${implied.name} may not be an implied role.`)
        }
        if (prior.domain_id === GLOBAL && implied.domain_id !== GLOBAL) {
          // 403 as in Keystone (Tempest checks it): the rule is refused, not malformed.
          throw new CloudError('FORBIDDEN', 'A global role cannot imply a domain-specific role.')
        }
        const rules = await impliedRules(tx.db)
        if (priorRoleId === impliedRoleId || closure(rules, impliedRoleId).includes(priorRoleId)) {
          throw new CloudError(
            'INVALID',
            `${prior.name} ⇒ ${implied.name} would make roles imply themselves.`,
          )
        }
        if (!rules.get(priorRoleId)?.includes(impliedRoleId)) {
          await tx.db
            .insertInto('identity_implied_roles')
            .values({ prior_role_id: priorRoleId, implied_role_id: impliedRoleId })
            .execute()
          const data = { id: priorRoleId, impliedRoleId, requestId: ctx.requestId }
          events.emitAfterCommit(tx, 'identity.implied_role.created', data)
        }
        return { priorRole: ref(prior), implies: [ref(implied)] }
      })
    },

    async getImpliedRole(ctx, priorRoleId, impliedRoleId) {
      policy.enforce(ctx, 'identity:get_implied_role', { role_id: priorRoleId })
      const prior = await role(store.db, priorRoleId)
      const implied = await role(store.db, impliedRoleId)
      const rules = await impliedRules(store.db)
      if (!rules.get(priorRoleId)?.includes(impliedRoleId)) {
        throw notFound('implied role', `${priorRoleId}/${impliedRoleId}`)
      }
      return { priorRole: ref(prior), implies: [ref(implied)] }
    },

    async listImpliedRoles(ctx, priorRoleId) {
      policy.enforce(ctx, 'identity:list_implied_roles', { role_id: priorRoleId })
      const prior = await role(store.db, priorRoleId)
      return inference(store.db, prior, (await impliedRules(store.db)).get(priorRoleId) ?? [])
    },

    async listRoleInferenceRules(ctx) {
      policy.enforce(ctx, 'identity:list_role_inference_rules', {})
      const rules = await impliedRules(store.db)
      const out: RoleInference[] = []
      for (const [priorId, impliedIds] of rules)
        out.push(await inference(store.db, await role(store.db, priorId), impliedIds))
      return out.sort((a, b) => a.priorRole.name.localeCompare(b.priorRole.name))
    },

    async deleteImpliedRole(ctx, priorRoleId, impliedRoleId) {
      policy.enforce(ctx, 'identity:delete_implied_role', { role_id: priorRoleId })
      await store.transaction(async (tx) => {
        const result = await tx.db
          .deleteFrom('identity_implied_roles')
          .where('prior_role_id', '=', priorRoleId)
          .where('implied_role_id', '=', impliedRoleId)
          .executeTakeFirst()
        if (result.numDeletedRows === 0n) throw notFound('implied role', `${priorRoleId}/${impliedRoleId}`)
        // Holders of the prior role lose the implied one: their tokens must not keep carrying it.
        await revokeHolders(tx, priorRoleId)
        const data = { id: priorRoleId, impliedRoleId, requestId: ctx.requestId }
        events.emitAfterCommit(tx, 'identity.implied_role.deleted', data)
      })
    },
  }
}
