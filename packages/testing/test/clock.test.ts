import type { Clock } from '@nubis/sdk'
import { createTestClock } from '@nubis/testing'
import { describe, expect, expectTypeOf, it } from 'vitest'

describe('createTestClock', () => {
  it('is a Clock starting at the given time', () => {
    const clock = createTestClock(1_000)
    expectTypeOf(clock).toExtend<Clock>()
    expect(clock.now()).toBe(1_000)
    expect(createTestClock().now()).toBe(0)
  })

  it('wakes sleepers only when time reaches them, in due order, reading their due time', async () => {
    const clock = createTestClock()
    const woke: Array<[string, number]> = []
    const sleep = (name: string, ms: number) => clock.sleep(ms).then(() => woke.push([name, clock.now()]))
    void sleep('late', 300)
    void sleep('early', 100)
    void sleep('tie-first', 200)
    void sleep('tie-second', 200)
    expect(clock.pendingTimers()).toEqual([100, 200, 200, 300])

    await clock.advance(99)
    expect(woke).toEqual([])
    await clock.advance(151)
    expect(woke).toEqual([
      ['early', 100],
      ['tie-first', 200],
      ['tie-second', 200],
    ])
    expect(clock.now()).toBe(250)
    expect(clock.pendingTimers()).toEqual([300])
  })

  it('wakes sleeps scheduled by woken code within the same advance', async () => {
    const clock = createTestClock()
    const ticks: number[] = []
    const poll = async () => {
      for (let i = 0; i < 5; i++) {
        await clock.sleep(100)
        ticks.push(clock.now())
      }
    }
    const done = poll()
    await clock.advance(350)
    expect(ticks).toEqual([100, 200, 300])
    await clock.advance(1_000)
    await done
    expect(ticks).toEqual([100, 200, 300, 400, 500])
    expect(clock.now()).toBe(1_350)
  })

  it('rejects an aborted sleep with the reason and forgets its timer', async () => {
    const clock = createTestClock()
    const controller = new AbortController()
    const sleeping = clock.sleep(1_000, controller.signal)
    controller.abort(new Error('stop'))
    await expect(sleeping).rejects.toThrow('stop')
    expect(clock.pendingTimers()).toEqual([])
    await expect(clock.sleep(10, AbortSignal.abort(new Error('already')))).rejects.toThrow('already')
  })

  it('resolves a zero sleep at once', async () => {
    await expect(createTestClock().sleep(0)).resolves.toBeUndefined()
  })

  it('set() jumps forward waking sleepers, or backward waking none', async () => {
    const clock = createTestClock(10_000)
    let woke = false
    void clock.sleep(500).then(() => {
      woke = true
    })
    await clock.set(5_000)
    expect(clock.now()).toBe(5_000)
    expect(woke).toBe(false)
    await clock.set(10_500)
    expect(woke).toBe(true)
  })

  it('runAll() wakes everything and reports the time reached', async () => {
    const clock = createTestClock()
    void clock.sleep(5_000).then(() => clock.sleep(5_000))
    await expect(clock.runAll()).resolves.toBe(10_000)
    expect(clock.pendingTimers()).toEqual([])
  })

  it('refuses to go backwards through advance()', async () => {
    await expect(createTestClock().advance(-1)).rejects.toThrow(RangeError)
  })
})
