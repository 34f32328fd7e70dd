import type { Family } from './cidr.js'
import { isGroupSet } from './names.js'
import type { Runner } from './runner.js'

/** Our ipsets on a host: name → members (as `ipset save` prints them). */
export type ActualSets = Map<string, Set<string>>

/** The ipsets wanted: name → family and members. */
export type WantedSets = Map<string, { family: Family; members: Set<string> }>

/** Reads the driver's sets (`nb4-…`, `nb6-…`) and their members. */
export async function readSets(runner: Runner): Promise<ActualSets> {
  const sets: ActualSets = new Map()
  for (const line of (await runner.read(['ipset', 'save'])).split('\n')) {
    const [verb, name = '', member] = line.trim().split(/\s+/)
    if (!isGroupSet(name)) continue
    if (verb === 'create') sets.set(name, sets.get(name) ?? new Set())
    else if (verb === 'add' && member) (sets.get(name) ?? sets.set(name, new Set()).get(name))?.add(member)
  }
  return sets
}

/**
 * Creates missing sets and adds and deletes members, in one `ipset restore`; returns the members taken out of
 * each set (their established flows are to be cut). Sets no longer wanted are destroyed by {@link destroySets},
 * once no rule refers to them any more.
 */
export async function convergeSets(
  runner: Runner,
  actual: ActualSets,
  wanted: WantedSets,
): Promise<Map<string, string[]>> {
  const lines: string[] = []
  const removed = new Map<string, string[]>()
  for (const [name, { family, members }] of wanted) {
    const have = actual.get(name)
    if (!have) lines.push(`create ${name} hash:net family ${family === 4 ? 'inet' : 'inet6'}`)
    for (const member of members) if (!have?.has(member)) lines.push(`add ${name} ${member}`)
    const gone = [...(have ?? [])].filter((member) => !members.has(member))
    for (const member of gone) lines.push(`del ${name} ${member}`)
    if (gone.length > 0) removed.set(name, gone)
  }
  if (lines.length > 0)
    await runner.change(['ipset', 'restore', '-exist'], { stdin: `${lines.join('\n')}\n` })
  return removed
}

/** Destroys our sets that are not wanted. Call after the rules using them are gone. */
export async function destroySets(
  runner: Runner,
  actual: ActualSets,
  wanted: ReadonlySet<string>,
): Promise<void> {
  for (const name of actual.keys()) {
    if (!wanted.has(name)) await runner.change(['ipset', 'destroy', name])
  }
}
