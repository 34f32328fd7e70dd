import { type Compilable, type CompiledQuery, createQueryId, type QueryResult } from 'kysely'
import { CloudError } from '../core/errors.js'
import type { Db, Dialect } from './types.js'

/** Where a prepared statement runs: a transaction or the store. */
export interface PreparedTarget {
  readonly db: Db
  readonly dialect: Dialect
}

/**
 * A statement built and compiled once per dialect, then run with new parameters; it resolves to the driver's result (`rows`, `numAffectedRows`). For the few queries a hot path
 * runs thousands of times a second (a port create's address allocation), building and compiling the query costs
 * more than SQLite takes to run it. `build` must pass its parameters into the query as values, each once, in the
 * order the SQL takes them; the first compile checks this, so a mistake fails at once rather than binding a value
 * to the wrong column.
 *
 * @example
 * const portById = preparedStatement((db, id: string) => db.selectFrom('net_ports').selectAll().where('id', '=', id))
 * const [row] = (await portById(tx, id)).rows
 */
export function preparedStatement<P extends readonly unknown[], R>(
  build: (db: Db, ...params: P) => Compilable<R>,
): (target: PreparedTarget, ...params: P) => Promise<QueryResult<R>> {
  const compiled = new Map<Dialect, CompiledQuery<R>>()
  return async (target, ...params) => {
    let query = compiled.get(target.dialect)
    if (query === undefined) {
      query = build(target.db, ...params).compile()
      const same =
        query.parameters.length === params.length && query.parameters.every((value, i) => value === params[i])
      if (!same) {
        throw new CloudError(
          'INTERNAL',
          `A prepared statement takes its parameters out of order: ${query.sql}`,
        )
      }
      compiled.set(target.dialect, query)
    } else {
      query = { ...query, parameters: params, queryId: createQueryId() }
    }
    return target.db.executeQuery(query)
  }
}
