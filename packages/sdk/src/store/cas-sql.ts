import { CompiledQuery, isExpression } from 'kysely'
import type { Db, Dialect } from './types.js'

// The compare-and-swap UPDATE and the read by id run on every resource write, so their SQL text is built
// once per table and column set and reused: Kysely's builder and compiler cost more than SQLite spends
// running the statement. Everything else goes through Kysely as usual.

const MAX_CACHED = 1000
const texts = new Map<string, string>()

/** A row as the driver returns it. */
export type RawRow = Record<string, unknown>

/**
 * Runs `UPDATE table SET <patch>, revision = revision + 1, updated_at = ? WHERE id = ? AND revision = ?
 * RETURNING *` and returns the updated row, or undefined when no row matched. Returns `null` when the patch
 * holds a Kysely expression or callback, which only the query builder can compile; the caller then uses it.
 */
export async function runCasUpdate(
  db: Db,
  dialect: Dialect,
  table: string,
  patch: Record<string, unknown>,
  updatedAt: string,
  id: string,
  expectedRevision: number,
): Promise<RawRow | undefined | null> {
  const columns: string[] = []
  const values: unknown[] = []
  for (const column in patch) {
    const value = patch[column]
    if (value === undefined) continue // as in Kysely's set(): undefined means "leave as it is"
    if (typeof value === 'function' || isExpression(value)) return null
    columns.push(column)
    values.push(value)
  }
  values.push(updatedAt, id, expectedRevision)
  const text = cached(`u\0${dialect}\0${table}\0${columns.join('\0')}`, () => {
    const param = placeholders(dialect)
    const sets = columns.map((column) => `${quote(column)} = ${param()}`)
    sets.push('"revision" = "revision" + 1', `"updated_at" = ${param()}`)
    return `update ${quote(table)} set ${sets.join(', ')} where "id" = ${param()} and "revision" = ${param()} returning *`
  })
  const result = await db.executeQuery<RawRow>(CompiledQuery.raw(text, values))
  return result.rows[0]
}

/** `SELECT * FROM table WHERE id = ?`: the row, or undefined. */
export async function selectById(
  db: Db,
  dialect: Dialect,
  table: string,
  id: string,
): Promise<RawRow | undefined> {
  const text = cached(
    `s\0${dialect}\0${table}`,
    () => `select * from ${quote(table)} where "id" = ${placeholders(dialect)()}`,
  )
  const result = await db.executeQuery<RawRow>(CompiledQuery.raw(text, [id]))
  return result.rows[0]
}

function cached(key: string, build: () => string): string {
  let text = texts.get(key)
  if (text === undefined) {
    text = build()
    // Column sets come from code, so the map stays small; the bound only guards against a runaway caller.
    if (texts.size >= MAX_CACHED) texts.clear()
    texts.set(key, text)
  }
  return text
}

function placeholders(dialect: Dialect): () => string {
  let n = 0
  return dialect === 'postgres' ? () => `$${++n}` : () => '?'
}

/** Double-quoted identifier, valid on both dialects. */
function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}
