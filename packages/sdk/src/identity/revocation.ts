import { randomUUID } from 'node:crypto'
import type { Clock } from '../core/clock.js'
import { isoTime } from '../core/clock.js'
import type { Store, Transaction } from '../store/types.js'

/** What a revocation event names; a token matching every field given is revoked. */
export interface RevocationEvent {
  userId?: string
  projectId?: string
  domainId?: string
  /** The audit id of one token (`DELETE /v3/auth/tokens`), which also revokes tokens rescoped from it. */
  auditId?: string
}

/** The facts of a token that revocation events are matched against. */
export interface RevocationFacts {
  userId: string
  /** The user's domain and, for scoped tokens, the project's domain or the scoped domain. */
  domainIds: readonly string[]
  projectId?: string
  /** The token's own audit id and the one it was rescoped from. */
  auditIds: readonly string[]
  /** Epoch ms. */
  issuedAt: number
}

interface LoadedEvent {
  userId: string | null
  projectId: string | null
  domainId: string | null
  auditId: string | null
  issuedBefore: number
  expiresAt: number
}

/** Options of {@link RevocationList}. */
export interface RevocationListOptions {
  store: Store
  clock: Clock
  /** Tokens live at most this long, so older events can be pruned. */
  maxTokenLifetimeMs: number
  /** How stale the list may be before validation reloads it, so revocations by other processes apply. */
  refreshMs: number
}

/**
 * The revocation events, kept in memory and checked on every token validation. Events written by this process
 * apply at once (after commit); those of other control-plane processes within `refreshMs`.
 */
export class RevocationList {
  private events: LoadedEvent[] = []
  private loadedAt = Number.NEGATIVE_INFINITY
  private loading: Promise<void> | undefined
  private signature = ''
  /** Grows whenever the list changes, so caches of validated tokens know to recheck. */
  generation = 0

  constructor(private readonly options: RevocationListOptions) {}

  /** Records an event inside `tx`; it applies in this process once the transaction commits. */
  async add(tx: Transaction, input: RevocationEvent): Promise<void> {
    const now = this.options.clock.now()
    const event: LoadedEvent = {
      userId: input.userId ?? null,
      projectId: input.projectId ?? null,
      domainId: input.domainId ?? null,
      auditId: input.auditId ?? null,
      issuedBefore: now,
      expiresAt: now + this.options.maxTokenLifetimeMs,
    }
    await tx.db
      .insertInto('identity_revocations')
      .values({
        id: randomUUID(),
        user_id: event.userId,
        project_id: event.projectId,
        domain_id: event.domainId,
        audit_id: event.auditId,
        issued_before: event.issuedBefore,
        expires_at: event.expiresAt,
        created_at: isoTime(now),
      })
      .execute()
    tx.afterCommit(() => {
      this.events.push(event)
      this.generation++
    })
  }

  /** Reloads the list when it is older than `refreshMs`. */
  async ensureFresh(): Promise<void> {
    if (this.options.clock.now() - this.loadedAt < this.options.refreshMs) return
    this.loading ??= this.reload().finally(() => {
      this.loading = undefined
    })
    await this.loading
  }

  /** Whether any event revokes a token with these facts. */
  isRevoked(facts: RevocationFacts): boolean {
    for (const event of this.events) {
      if (facts.issuedAt > event.issuedBefore) continue
      if (event.userId !== null && event.userId !== facts.userId) continue
      if (event.projectId !== null && event.projectId !== facts.projectId) continue
      if (event.domainId !== null && !facts.domainIds.includes(event.domainId)) continue
      if (event.auditId !== null && !facts.auditIds.includes(event.auditId)) continue
      return true
    }
    return false
  }

  private async reload(): Promise<void> {
    const now = this.options.clock.now()
    const { store } = this.options
    const rows = await store.db.selectFrom('identity_revocations').selectAll().orderBy('id').execute()
    // The store reads bigint columns as numbers on both dialects (epoch ms fit a double exactly).
    const live = rows.filter((row) => row.expires_at >= now)
    if (live.length < rows.length) {
      await store.db.deleteFrom('identity_revocations').where('expires_at', '<', now).execute()
    }
    const signature = live.map((row) => row.id).join()
    if (signature !== this.signature) this.generation++
    this.signature = signature
    this.events = live.map((row) => ({
      userId: row.user_id,
      projectId: row.project_id,
      domainId: row.domain_id,
      auditId: row.audit_id,
      issuedBefore: row.issued_before,
      expiresAt: row.expires_at,
    }))
    this.loadedAt = now
  }
}
