import { CHAIN_PREFIX, shortHash } from './names.js'

// The driver owns iptables chains named `nb-…` and the jumps into them from built-in chains; nothing else in
// a table is touched. Each chain starts with a comment rule holding a hash of its rules, so whether a chain
// is up to date is known from `iptables-save` without re-deriving the canonical form iptables prints each
// match in (protocol names, masks, module options differ between versions and back ends). A chain with the
// wrong hash or rule count is rewritten whole, in one `iptables-restore --noflush` per table.

/** The chains the driver wants in one table. */
export interface TableSpec {
  table: 'filter' | 'raw' | 'nat'
  /** Chain name → its rules, each the text after `-A <chain> `. */
  chains: Map<string, string[]>
  /** Jumps from built-in chains into ours, inserted first in the built-in chain. */
  jumps: { from: string; to: string }[]
}

/** Our chains as `iptables-save` shows them: per chain, the hash its first rule holds and the rule count. */
export interface ActualTable {
  chains: Map<string, { hash: string | null; rules: number }>
  /** Jumps `-A <built-in> -j nb-…` present. */
  jumps: { from: string; to: string }[]
}

/** What converging a table takes. */
export interface TablePlan {
  /** Input for `iptables-restore --noflush`, or null when the table is already right. */
  restore: string | null
  /** Chains that existed and are rewritten (their traffic rules changed). */
  changed: Set<string>
  /** Chains that are made. */
  added: Set<string>
  /** Chains that are deleted. */
  removed: Set<string>
}

/** Reads our chains of each table out of `iptables-save` output. */
export function parseSave(text: string): Map<string, ActualTable> {
  const tables = new Map<string, ActualTable>()
  let current: ActualTable | undefined
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      current = { chains: new Map(), jumps: [] }
      tables.set(line.slice(1).trim(), current)
    } else if (current && line.startsWith(`:${CHAIN_PREFIX}`)) {
      current.chains.set(line.slice(1).split(' ')[0] as string, { hash: null, rules: 0 })
    } else if (current && line.startsWith('-A ')) {
      const [, chain = ''] = line.split(' ')
      const ours = current.chains.get(chain)
      if (ours) {
        if (ours.rules === 0) ours.hash = /--comment "?nb:([0-9a-f]+)"?/.exec(line)?.[1] ?? null
        ours.rules++
      } else {
        const jump = /^-A (\S+) -j (nb-\S+)$/.exec(line)
        if (jump) current.jumps.push({ from: jump[1] as string, to: jump[2] as string })
      }
    }
  }
  return tables
}

/** The hash a chain's comment rule holds. */
function chainHash(rules: readonly string[]): string {
  return shortHash(JSON.stringify(rules), 16)
}

/** Plans one table: which chains to write, jumps to add or drop, chains to delete. */
export function planTable(actual: ActualTable | undefined, spec: TableSpec): TablePlan {
  const have = actual ?? { chains: new Map(), jumps: [] }
  const plan: TablePlan = { restore: null, changed: new Set(), added: new Set(), removed: new Set() }
  const declarations: string[] = []
  const lines: string[] = []
  for (const [chain, rules] of spec.chains) {
    const hash = chainHash(rules)
    const existing = have.chains.get(chain)
    if (existing && existing.hash === hash && existing.rules === rules.length + 1) continue
    ;(existing ? plan.changed : plan.added).add(chain)
    // Declaring a chain in --noflush mode creates it, or empties it if it exists. Declarations come before
    // all rules, which may jump to any of the chains.
    declarations.push(`:${chain} - [0:0]`)
    lines.push(`-A ${chain} -m comment --comment nb:${hash}`, ...rules.map((rule) => `-A ${chain} ${rule}`))
  }
  const key = (jump: { from: string; to: string }) => `${jump.from} ${jump.to}`
  const haveJumps = new Set(have.jumps.map(key))
  const wantJumps = new Set(spec.jumps.map(key))
  for (const jump of spec.jumps) if (!haveJumps.has(key(jump))) lines.push(`-I ${jump.from} 1 -j ${jump.to}`)
  for (const jump of have.jumps) if (!wantJumps.has(key(jump))) lines.push(`-D ${jump.from} -j ${jump.to}`)
  const removed = [...have.chains.keys()].filter((chain) => !spec.chains.has(chain))
  // Emptied first, then deleted: a doomed chain may still be jumped to from another doomed one.
  for (const chain of removed) lines.push(`-F ${chain}`)
  for (const chain of removed) lines.push(`-X ${chain}`)
  plan.removed = new Set(removed)
  if (declarations.length + lines.length > 0) {
    plan.restore = [`*${spec.table}`, ...declarations, ...lines, 'COMMIT', ''].join('\n')
  }
  return plan
}

/** An empty spec: converging to it removes all our chains and jumps from `table`. */
export function emptyTable(table: TableSpec['table']): TableSpec {
  return { table, chains: new Map(), jumps: [] }
}
