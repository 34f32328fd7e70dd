import { createTestClock, recordCalls } from '@nubis/testing'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { memoryKv } from './fixtures/demo-driver.js'

describe('recordCalls', () => {
  it('records method, arguments, outcome and timing of every call, in start order', async () => {
    const clock = createTestClock(5_000)
    const { driver, calls } = recordCalls(memoryKv(), { clock })
    await driver.put('a', '1')
    await expect(driver.get('missing')).rejects.toMatchObject({ code: 'NOT_FOUND' })
    expect(driver.size()).toBe(1)
    expect(calls).toEqual([
      {
        method: 'put',
        args: ['a', '1'],
        status: 'returned',
        result: undefined,
        startedAt: 5_000,
        durationMs: 0,
      },
      {
        method: 'get',
        args: ['missing'],
        status: 'threw',
        error: expect.objectContaining({ code: 'NOT_FOUND' }),
        startedAt: 5_000,
        durationMs: 0,
      },
      { method: 'size', args: [], status: 'returned', result: 1, startedAt: 5_000, durationMs: 0 },
    ])
  })

  it('shows calls in flight as pending and measures them on the clock', async () => {
    const clock = createTestClock()
    const slow = memoryKv()
    const get = async (key: string) => clock.sleep(250).then(() => key)
    const { driver, calls } = recordCalls({ ...slow, get }, { clock })
    const pending = driver.get('k')
    expect(calls[0]).toMatchObject({ method: 'get', status: 'pending' })
    await clock.advance(250)
    await pending
    expect(calls[0]).toMatchObject({ status: 'returned', result: 'k', durationMs: 250 })
  })

  it('callsTo filters by method with typed arguments, and reset forgets', async () => {
    const { driver, callsTo, calls, reset } = recordCalls(memoryKv())
    await driver.put('a', '1')
    await driver.put('b', '2')
    await driver.get('a')
    const puts = callsTo('put')
    expectTypeOf(puts[0]!.args).toEqualTypeOf<
      [key: string, value: string, _options?: { signal?: AbortSignal }]
    >()
    expectTypeOf(callsTo('get')[0]!.result).toEqualTypeOf<string | undefined>()
    expect(puts.map((c) => c.args[0])).toEqual(['a', 'b'])
    expect(callsTo('get')[0]?.result).toBe('1')
    reset()
    expect(calls).toHaveLength(0)
  })
})
