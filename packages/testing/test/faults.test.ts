import { CloudError } from '@nubis/sdk'
import { createTestClock, recordCalls, withFaults } from '@nubis/testing'
import { describe, expect, it } from 'vitest'
import { memoryKv } from './fixtures/demo-driver.js'

const injected = { code: 'DRIVER_FAILED', driver: 'memory-kv', details: { injected: true, method: 'get' } }

describe('withFaults', () => {
  it('behaves like the original until told, keeping synchronous methods synchronous', async () => {
    const { driver } = withFaults(memoryKv())
    await driver.put('k', 'v')
    await expect(driver.get('k')).resolves.toBe('v')
    expect(driver.size()).toBe(1)
    expect(driver.capabilities).toEqual({ listing: true })
    await expect(driver.get('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('failOnce fails the next call with an injected DRIVER_FAILED, queueing repeats', async () => {
    const { driver, faults } = withFaults(memoryKv())
    await driver.put('k', 'v')
    faults.failOnce('get').failOnce('get')
    const error = await driver.get('k').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CloudError)
    expect(error).toMatchObject({ ...injected, message: 'Injected fault in memory-kv.get' })
    await expect(driver.get('k')).rejects.toMatchObject(injected)
    await expect(driver.get('k')).resolves.toBe('v')
  })

  it('failAlways fails until cleared, with the given error or factory', async () => {
    const { driver, faults } = withFaults(memoryKv())
    const outage = new CloudError('UNAVAILABLE', 'back end down')
    faults.failAlways('put', outage)
    await expect(driver.put('a', '1')).rejects.toBe(outage)
    await expect(driver.put('a', '1')).rejects.toBe(outage)
    faults.failAlways('put', (method, args) => new Error(`${method}(${args[0]}) refused`))
    await expect(driver.put('b', '2')).rejects.toThrow('put(b) refused')
    faults.clear('put')
    await expect(driver.put('a', '1')).resolves.toBeUndefined()
  })

  it('failAfter lets n calls through, then fails', async () => {
    const { driver, faults } = withFaults(memoryKv())
    faults.failAfter('put', 2)
    await driver.put('a', '1')
    await driver.put('b', '2')
    await expect(driver.put('c', '3')).rejects.toMatchObject({ details: { injected: true } })
    await expect(driver.put('d', '4')).rejects.toMatchObject({ code: 'DRIVER_FAILED' })
    expect(driver.size()).toBe(2)
    expect(() => faults.failAfter('put', -1)).toThrow(RangeError)
  })

  it('delay holds calls on the given clock', async () => {
    const clock = createTestClock()
    const { driver, faults } = withFaults(memoryKv(), { clock })
    faults.delay('put', 1_000)
    let done = false
    const put = driver.put('a', '1').then(() => {
      done = true
    })
    await clock.advance(999)
    expect(done).toBe(false)
    await clock.advance(1)
    await put
    expect(done).toBe(true)
    const controller = new AbortController()
    const aborted = driver.put('b', '2', { signal: controller.signal })
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' })
  })

  it('hang never settles until the call signal fires', async () => {
    const { driver, faults } = withFaults(memoryKv())
    faults.hang('get')
    const controller = new AbortController()
    let settled = false
    const hanging = driver.get('k', { signal: controller.signal }).finally(() => {
      settled = true
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(settled).toBe(false)
    controller.abort()
    await expect(hanging).rejects.toMatchObject({ code: 'ABORTED' })
    await expect(driver.get('k', { signal: AbortSignal.timeout(20) })).rejects.toMatchObject({
      code: 'TIMEOUT',
    })
    faults.clear()
    await expect(driver.get('k')).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('composes with the recorder, which sees injected failures', async () => {
    const { driver: faulty, faults } = withFaults(memoryKv())
    const { driver, callsTo } = recordCalls(faulty)
    faults.failOnce('put')
    await expect(driver.put('a', '1')).rejects.toMatchObject({ code: 'DRIVER_FAILED' })
    await driver.put('a', '1')
    expect(callsTo('put').map((c) => c.status)).toEqual(['threw', 'returned'])
  })
})
