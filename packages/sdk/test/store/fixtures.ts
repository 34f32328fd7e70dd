// Tables the store tests work on, declared the way every module declares its own.
import { addResourceColumns, type Migration, type ResourceColumns } from '../../src/store/index.js'

export interface TestWidgetsTable extends ResourceColumns {
  name: string
  size: number
  /** JSON text. */
  tags: string
  note: string | null
}

export interface TestPartsTable {
  id: string
  widget_id: string
}

export interface TestCountersTable extends ResourceColumns {
  value: number
}

declare module '../../src/store/types.js' {
  interface Tables {
    test_widgets: TestWidgetsTable
    test_parts: TestPartsTable
    test_counters: TestCountersTable
  }
}

/** Counts how often each migration body really ran, to tell "applied" from "skipped". */
export const migrationRuns = new Map<string, number>()

const counted =
  (id: string, up: Migration['up']): Migration['up'] =>
  async (db, dialect) => {
    migrationRuns.set(id, (migrationRuns.get(id) ?? 0) + 1)
    await up(db, dialect)
  }

export const testMigrations: readonly Migration[] = [
  {
    id: 'test/001-widgets',
    up: counted('test/001-widgets', (db) =>
      addResourceColumns(db.schema.createTable('test_widgets'))
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('size', 'integer', (c) => c.notNull())
        .addColumn('tags', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .execute(),
    ),
  },
  {
    id: 'test/002-parts',
    up: counted('test/002-parts', (db) =>
      db.schema
        .createTable('test_parts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('widget_id', 'text', (c) => c.notNull().references('test_widgets.id'))
        .execute(),
    ),
  },
  {
    id: 'test/003-counters',
    up: counted('test/003-counters', (db) =>
      addResourceColumns(db.schema.createTable('test_counters'))
        .addColumn('value', 'integer', (c) => c.notNull())
        .execute(),
    ),
  },
]

/** A widget row ready to insert. */
export function widget(id: string, name = `widget-${id}`, size = 1): TestWidgetsTable {
  const now = new Date().toISOString()
  return { id, revision: 1, created_at: now, updated_at: now, name, size, tags: '["a"]', note: null }
}
