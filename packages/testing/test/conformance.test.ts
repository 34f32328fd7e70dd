import { defineConformanceSuite, recordCalls, withFaults } from '@nubis/testing'
import { describe, expect, it } from 'vitest'
import { type KvDriver, memoryKv } from './fixtures/demo-driver.js'
import { describeKvConformance } from './fixtures/kv-conformance.js'

describeKvConformance(async () => ({ driver: memoryKv() }), { label: 'memory' })
describeKvConformance(() => ({ driver: memoryKv({ listing: false }) }), { label: 'no listing' })

let wrappedFactoryCalls = 0
let wrappedCleanups = 0
describeKvConformance(
  () => {
    wrappedFactoryCalls++
    const recording = recordCalls(withFaults(memoryKv()).driver)
    const cleanup = () => {
      if (recording.calls.length > 0) wrappedCleanups++
    }
    return { driver: recording.driver, cleanup }
  },
  { label: 'recorded, with faults' },
)

let skippedFactoryCalls = 0
describeKvConformance(
  async () => {
    skippedFactoryCalls++
    return { driver: memoryKv() }
  },
  { skip: 'needs a real KV server (set NUBIS_KV_URL)', label: 'real' },
)

describeKvConformance(() => ({ driver: memoryKv() }), {
  label: 'selection',
  only: ['stores and reads back a value', 'lists keys in order'],
  skipTests: { 'lists keys in order': 'flaky back end' },
})

/** A test as vitest collected and ran it. */
interface TaskView {
  name: string
  mode: string
  result?: { state?: string; note?: string }
  tasks?: TaskView[]
}

// Runs last in this file (tests run in order), so the suites above have reported by now.
describe('the harness', () => {
  it('reports every registration as vitest tests with the right outcome', ({ task }) => {
    const file = task.file as unknown as TaskView
    const suite = (label: string) => {
      const found = file.tasks?.find((t) => t.name === `kv driver (${label})`)
      if (!found?.tasks) throw new Error(`suite ${label} not registered`)
      return found.tasks.map((t) => ({
        name: t.name,
        mode: t.mode,
        state: t.result?.state,
        note: t.result?.note,
      }))
    }
    const count = describeKvConformance.testNames.length

    expect(suite('memory').every((t) => t.state === 'pass')).toBe(true)
    expect(suite('no listing').find((t) => t.name === 'lists keys in order')).toMatchObject({
      state: 'skip',
      note: 'driver lacks capability listing',
    })

    // One fresh driver per test, each cleaned up; all but the capability-refusal test used the driver.
    expect(wrappedFactoryCalls).toBe(count)
    expect(wrappedCleanups).toBe(count - 1)

    const skipped = suite('real')
    expect(skippedFactoryCalls).toBe(0)
    expect(skipped).toHaveLength(count)
    for (const test of skipped) {
      expect(test.mode).toBe('skip')
      expect(test.state).not.toBe('pass')
      expect(test.name).toMatch(/ \[skipped: needs a real KV server \(set NUBIS_KV_URL\)\]$/)
    }

    expect(suite('selection').map((t) => [t.name, t.mode])).toEqual([
      ['stores and reads back a value', 'run'],
      ['reports a missing key as NOT_FOUND [skipped: not selected by only]', 'skip'],
      ['reports its own failures as DRIVER_FAILED naming the driver [skipped: not selected by only]', 'skip'],
      ['lists keys in order [skipped: flaky back end]', 'skip'],
      [
        'refuses listing with NOT_SUPPORTED when it lacks the capability [skipped: not selected by only]',
        'skip',
      ],
    ])
  })

  it('refuses duplicate test names and unknown selections', () => {
    expect(() =>
      defineConformanceSuite<KvDriver>('dup', (ctx) => {
        ctx.test('same', () => {})
        ctx.test('same', () => {})
      }),
    ).toThrowError(/declares the test 'same' twice/)
    expect(() =>
      describeKvConformance(() => ({ driver: memoryKv() }), { only: ['no such test'] }),
    ).toThrowError(/has no test named 'no such test'/)
    expect(describeKvConformance.suiteName).toBe('kv driver')
  })
})
