import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { CloudError } from '../../src/core/errors.js'
import { createEventBus } from '../../src/core/events.js'
import { waitFor, waitForEvent } from '../../src/core/waiters.js'
import { ManualClock, settle } from './manual-clock.js'

interface TestEvents {
  'compute.server.updated': { status: string }
}

/** The error a promise rejects with (it must reject). */
async function failure(promise: Promise<unknown>): Promise<CloudError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(CloudError)
  return error as CloudError
}

describe('waitFor', () => {
  it('polls every interval until the predicate is truthy, and returns its value', async () => {
    const clock = new ManualClock()
    const statuses = ['BUILD', 'BUILD', 'ACTIVE']
    let polls = 0
    const result = waitFor(async () => (statuses[polls++] === 'ACTIVE' ? { status: 'ACTIVE' } : undefined), {
      clock,
      interval: 100,
    })
    await settle()
    expect(polls).toBe(1)
    await clock.advance(100)
    expect(polls).toBe(2)
    await clock.advance(100)
    await expect(result).resolves.toEqual({ status: 'ACTIVE' })
    expect(clock.now()).toBe(200)
    expect(clock.pending).toBe(0)
  })

  it('returns at once without sleeping when the condition already holds', async () => {
    const clock = new ManualClock()
    await expect(waitFor(() => 42, { clock })).resolves.toBe(42)
    expect(clock.pending).toBe(0)
  })

  it('times out with TIMEOUT, leaving no timer behind', async () => {
    const clock = new ManualClock()
    const result = failure(
      waitFor(() => false, { clock, interval: 30, timeout: 100, what: 'server 1 to boot' }),
    )
    await clock.advance(100)
    const error = await result
    expect(error.code).toBe('TIMEOUT')
    expect(error.message).toBe('Timed out after 100 ms waiting for server 1 to boot')
    expect(clock.pending).toBe(0)
  })

  it('times out while a predicate hangs, and hands it an aborted signal', async () => {
    const clock = new ManualClock()
    let seen: AbortSignal | undefined
    const result = failure(
      waitFor(
        (signal) => {
          seen = signal
          return new Promise<never>(() => {})
        },
        { clock, timeout: 50 },
      ),
    )
    await clock.advance(50)
    expect((await result).code).toBe('TIMEOUT')
    expect(seen?.aborted).toBe(true)
  })

  it('stops with ABORTED when the signal fires, removing its abort listener afterwards', async () => {
    const clock = new ManualClock()
    const controller = new AbortController()
    const result = failure(waitFor(() => null, { clock, signal: controller.signal, interval: 10 }))
    await clock.advance(25)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1)
    controller.abort()
    const error = await result
    expect(error.code).toBe('ABORTED')
    expect(clock.pending).toBe(0)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('refuses at once when the signal is already aborted, and maps a TimeoutError reason to TIMEOUT', async () => {
    const aborted = AbortSignal.abort()
    expect((await failure(waitFor(() => true, { signal: aborted }))).code).toBe('ABORTED')
    const timedOut = AbortSignal.abort(new DOMException('late', 'TimeoutError'))
    expect((await failure(waitFor(() => true, { signal: timedOut }))).code).toBe('TIMEOUT')
  })

  it('lets a predicate error through and cleans up', async () => {
    const clock = new ManualClock()
    const controller = new AbortController()
    const broken = new CloudError('NOT_FOUND', 'Server 1 could not be found')
    await expect(
      waitFor(
        () => {
          throw broken
        },
        { clock, signal: controller.signal },
      ),
    ).rejects.toBe(broken)
    expect(clock.pending).toBe(0)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })
})

describe('waitForEvent', () => {
  it('resolves with the first event the filter accepts, then unsubscribes', async () => {
    const bus = createEventBus<TestEvents>()
    const clock = new ManualClock()
    const result = waitForEvent(bus, 'compute.server.updated', (e) => e.status === 'ACTIVE', { clock })
    bus.emit('compute.server.updated', { id: 's1', status: 'BUILD' })
    bus.emit('compute.server.updated', { id: 's1', status: 'ACTIVE' })
    await expect(result).resolves.toMatchObject({
      id: 's1',
      status: 'ACTIVE',
      type: 'compute.server.updated',
    })
    expect(bus.listenerCount('compute.server.updated')).toBe(0)
    expect(clock.pending).toBe(0)
  })

  it('times out with TIMEOUT and unsubscribes', async () => {
    const bus = createEventBus<TestEvents>()
    const clock = new ManualClock()
    const result = failure(waitForEvent(bus, 'compute.server.updated', undefined, { clock, timeout: 1000 }))
    await clock.advance(999)
    expect(bus.listenerCount('compute.server.updated')).toBe(1)
    await clock.advance(1)
    const error = await result
    expect(error.code).toBe('TIMEOUT')
    expect(error.message).toContain('event compute.server.updated')
    expect(bus.listenerCount('compute.server.updated')).toBe(0)
  })

  it('stops with ABORTED on abort, leaving no listener or timer', async () => {
    const bus = createEventBus<TestEvents>()
    const clock = new ManualClock()
    const controller = new AbortController()
    const result = failure(
      waitForEvent(bus, 'compute.server.updated', () => true, { clock, signal: controller.signal }),
    )
    controller.abort()
    expect((await result).code).toBe('ABORTED')
    expect(bus.listenerCount('compute.server.updated')).toBe(0)
    expect(clock.pending).toBe(0)
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0)
  })

  it('rejects with the error of a throwing filter', async () => {
    const bus = createEventBus<TestEvents>()
    const result = waitForEvent(bus, 'compute.server.updated', () => {
      throw new Error('bad filter')
    })
    bus.emit('compute.server.updated', { status: 'ERROR' })
    await expect(result).rejects.toThrow('bad filter')
    expect(bus.listenerCount('compute.server.updated')).toBe(0)
  })

  it('works on the real clock with a short timeout', async () => {
    const bus = createEventBus<TestEvents>()
    const started = Date.now()
    const error = await failure(waitForEvent(bus, 'compute.server.updated', undefined, { timeout: 30 }))
    expect(error.code).toBe('TIMEOUT')
    expect(Date.now() - started).toBeGreaterThanOrEqual(25)
  })
})
