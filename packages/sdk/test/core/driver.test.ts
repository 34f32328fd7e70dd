import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  callOptional,
  defineDriver,
  hasCapability,
  isDriver,
  requireCapability,
} from '../../src/core/driver.js'
import { CloudError } from '../../src/core/errors.js'

interface CallOptions {
  signal?: AbortSignal
}

const makeDriver = () =>
  defineDriver({
    kind: 'volume',
    name: 'demo',
    capabilities: { snapshots: true, resize: false },
    size: 3,
    async create(name: string, _options: CallOptions = {}) {
      if (name === 'boom') throw new Error('disk on fire')
      if (name === 'taken') throw new CloudError('CONFLICT', 'name taken')
      return { id: `vol-${name}`, size: this.size }
    },
    count(): number {
      return this.size
    },
    explode(): never {
      throw new TypeError('sync failure')
    },
    async slow(options: CallOptions) {
      await new Promise((resolve) => setTimeout(resolve, 10_000))
      return options
    },
    async snapshot(id: string) {
      return `snap-of-${id}`
    },
    resizeTo: undefined as ((id: string, size: number) => Promise<void>) | undefined,
  })

describe('defineDriver', () => {
  it('keeps the definition type and runs methods with the definition as this', async () => {
    const driver = makeDriver()
    expectTypeOf(driver.create).parameters.toEqualTypeOf<[string, CallOptions?]>()
    expectTypeOf(driver.capabilities.snapshots).toEqualTypeOf<true>()
    expect(isDriver(driver)).toBe(true)
    expect(isDriver({ kind: 'x' })).toBe(false)
    await expect(driver.create('a')).resolves.toEqual({ id: 'vol-a', size: 3 })
    expect(driver.count()).toBe(3)
  })

  it('turns foreign errors into DRIVER_FAILED naming driver and method, keeping the cause', async () => {
    const error = await makeDriver()
      .create('boom')
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CloudError)
    expect(error).toMatchObject({ code: 'DRIVER_FAILED', driver: 'demo', retryable: false })
    expect((error as CloudError).message).toBe('Driver demo failed in create: disk on fire')
    expect((error as CloudError).cause).toBeInstanceOf(Error)
  })

  it('maps synchronous throws synchronously', () => {
    expect(() => makeDriver().explode()).toThrowError(
      expect.objectContaining({ code: 'DRIVER_FAILED', message: expect.stringContaining('explode') }),
    )
  })

  it('passes CloudErrors through, filling in the driver', async () => {
    await expect(makeDriver().create('taken')).rejects.toMatchObject({ code: 'CONFLICT', driver: 'demo' })
  })

  it('rejects with ABORTED as soon as the call signal fires, even if the driver ignores it', async () => {
    const controller = new AbortController()
    const pending = makeDriver().slow({ signal: controller.signal })
    setTimeout(() => controller.abort(), 5)
    await expect(pending).rejects.toMatchObject({ code: 'ABORTED', driver: 'demo' })
  })

  it('rejects with TIMEOUT for a timeout signal, and does not call the method when already aborted', async () => {
    await expect(makeDriver().slow({ signal: AbortSignal.timeout(5) })).rejects.toMatchObject({
      code: 'TIMEOUT',
    })
    await expect(makeDriver().create('boom', { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    })
  })

  it('refuses malformed definitions', () => {
    expect(() => defineDriver({ kind: '', name: 'x', capabilities: {} })).toThrowError(/kind/)
    const bad = { kind: 'k', name: 'x', capabilities: { fast: 'yes' } } as unknown as Parameters<
      typeof defineDriver
    >[0]
    expect(() => defineDriver(bad)).toThrowError(/capability 'fast'/)
  })
})

describe('capabilities', () => {
  it('requireCapability throws NOT_SUPPORTED naming driver and capability', () => {
    const driver = makeDriver()
    expect(hasCapability(driver, 'snapshots')).toBe(true)
    expect(() => requireCapability(driver, 'snapshots')).not.toThrow()
    expect(() => requireCapability(driver, 'resize', 'volume resize')).toThrowError(
      expect.objectContaining({
        code: 'NOT_SUPPORTED',
        driver: 'demo',
        message: "Driver demo (volume) does not support volume resize (capability 'resize')",
      }),
    )
    expect(() => requireCapability(driver, 'encryption')).toThrowError(/capability 'encryption'/)
  })

  it('callOptional calls an implemented method whose flag is on', async () => {
    await expect(callOptional(makeDriver(), 'snapshot', 'snapshots')('v1')).resolves.toBe('snap-of-v1')
  })

  it('callOptional refuses a missing method or a capability that is off — never a silent no-op', () => {
    const driver = makeDriver()
    expect(() => callOptional(driver, 'resizeTo')).toThrowError(
      expect.objectContaining({
        code: 'NOT_SUPPORTED',
        message: expect.stringContaining("capability 'resizeTo'"),
      }),
    )
    expect(() => callOptional(driver, 'resizeTo', 'resize')).toThrowError(/capability 'resize'/)
    expect(() => callOptional(driver, 'snapshot', 'resize')).toThrowError(
      expect.objectContaining({ code: 'NOT_SUPPORTED' }),
    )
  })
})
