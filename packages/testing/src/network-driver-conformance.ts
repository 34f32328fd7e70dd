import { randomInt, randomUUID } from 'node:crypto'
import type {
  ApplyResult,
  HostPort,
  HostState,
  HostVif,
  NetworkDriver,
  NetworkHost,
  NetworkType,
} from '@nubis/sdk'
import { expect } from 'vitest'
import {
  type ConformanceOptions,
  type ConformanceTarget,
  type ConformanceTestOptions,
  type DescribeConformance,
  defineConformanceSuite,
} from './conformance.js'
import { type SampleHostState, sampleHostState } from './network-states.js'

/** What the factory of {@link describeNetworkDriverConformance} returns. */
export interface NetworkConformanceTarget {
  /** The driver under test, fresh for each test. */
  driver: NetworkDriver
  /** Undoes what a failing test left behind; the suite already clears the hosts it touched. */
  cleanup?: () => Promise<void> | void
  /** How ports reach their guest on the driver's hosts; default a tap device (needs `/dev/net/tun`). */
  vif?: (portId: string) => HostVif
  /** A physical network the driver knows, for a flat external network and VLAN segments; else VXLAN only. */
  physicalNetwork?: string
  /**
   * Spoils a valid port so the driver cannot plug it (a veth into a namespace that does not exist…). Without
   * it, the test of `failedPorts` is skipped.
   */
  unpluggablePort?: (port: HostPort) => HostPort
}

/** Registers the network driver conformance tests against a factory; see {@link describeNetworkDriverConformance}. */
export type DescribeNetworkDriverConformance = ((
  factory: () => Promise<NetworkConformanceTarget> | NetworkConformanceTarget,
  options?: ConformanceOptions,
) => void) &
  Pick<DescribeConformance<unknown>, 'suiteName' | 'testNames'>

/** What each test of the suite works with: the target with its defaults filled in. */
interface Subject {
  driver: NetworkDriver
  /**
   * The driver's flags, plus two the suite derives so tests can require them: `unpluggablePort` (the factory
   * gave one) and `twoHosts` (the driver manages at least two).
   */
  capabilities: Readonly<Record<string, boolean>>
  target: NetworkConformanceTarget
  hosts: NetworkHost[]
}

/** Handed to each test: applies states through the driver and remembers the hosts, cleared when it ends. */
interface Env {
  driver: NetworkDriver
  signal: AbortSignal
  target: NetworkConformanceTarget
  hosts: NetworkHost[]
  /** A sample state for the first host (or the one named), whose flood list names the other hosts. */
  sample(host?: string): SampleHostState
  apply(state: HostState): Promise<ApplyResult>
}

const VXLAN_MAX = 16_777_215

const suite = defineConformanceSuite<Subject>('network driver', (ctx) => {
  /** A test whose touched hosts are cleared when it ends, whatever its outcome. */
  const hostTest = (name: string, fn: (env: Env) => Promise<void>, options?: ConformanceTestOptions) =>
    ctx.test(
      name,
      async ({ driver: subject, signal }) => {
        const { driver, target, hosts } = subject
        const touched = new Set<string>()
        const env: Env = {
          driver,
          signal,
          target,
          hosts,
          sample: (host = hosts[0]!.name) =>
            sampleHostState({
              host,
              capabilities: driver.capabilities,
              vif: target.vif,
              physicalNetwork: target.physicalNetwork,
              peers: hosts.filter((h) => h.name !== host && h.tunnelIp !== null).map((h) => h.tunnelIp!),
            }),
          apply(state) {
            touched.add(state.host)
            return driver.applyHost(state, { signal })
          },
        }
        let failure: unknown
        try {
          await fn(env)
        } catch (error) {
          failure = error
        }
        // Every test leaves its hosts bare, so the next starts from nothing and a real host is not littered.
        for (const host of touched) {
          await driver.clearHost(host, { signal }).catch((error: unknown) => {
            failure ??= error
          })
        }
        if (failure !== undefined) throw failure
      },
      options,
    )

  /** Applies `before`, then `after` (changes expected), then `after` again (none). */
  const expectConverges = async (env: Env, before: HostState, after: HostState) => {
    expect((await env.apply(before)).failedPorts).toEqual([])
    const changed = await env.apply(after)
    expect(changed.failedPorts).toEqual([])
    expect(changed.changes, 'changes when the state changed').toBeGreaterThan(0)
    expect(await env.apply(structuredClone(after)), 'the same state again').toEqual({
      changes: 0,
      failedPorts: [],
    })
  }

  ctx.test('lists at least one host, each name once', async ({ driver: { driver }, signal }) => {
    const hosts = await driver.listHosts({ signal })
    expect(hosts.length).toBeGreaterThan(0)
    for (const host of hosts) {
      expect(typeof host.name === 'string' && host.name !== '', `host name ${host.name}`).toBe(true)
      expect(host.tunnelIp === null || typeof host.tunnelIp === 'string').toBe(true)
    }
    expect(new Set(hosts.map((h) => h.name)).size).toBe(hosts.length)
  })

  ctx.test(
    'accepts valid segments of the types it declares and refuses the others with NOT_SUPPORTED',
    async ({ driver: { driver, target }, signal }) => {
      const physical = target.physicalNetwork ?? null
      const valid: Record<
        Exclude<NetworkType, 'local'>,
        Parameters<NetworkDriver['checkNetwork']>[0] | null
      > = {
        vxlan: { type: 'vxlan', segmentationId: randomInt(1, VXLAN_MAX + 1), physicalNetwork: null },
        gre: { type: 'gre', segmentationId: randomInt(1, VXLAN_MAX + 1), physicalNetwork: null },
        vlan: { type: 'vlan', segmentationId: randomInt(1, 4095), physicalNetwork: physical },
        // A flat segment is nothing without its physical network; only the factory can name one.
        flat: physical === null ? null : { type: 'flat', segmentationId: null, physicalNetwork: physical },
      }
      for (const [type, segment] of Object.entries(valid)) {
        const request = segment ?? {
          type: type as NetworkType,
          segmentationId: null,
          physicalNetwork: physical,
        }
        if (driver.capabilities[type] !== true) {
          await expect(driver.checkNetwork(request, { signal }), type).rejects.toMatchObject({
            code: 'NOT_SUPPORTED',
          })
        } else if (segment) {
          await expect(driver.checkNetwork(segment, { signal }), type).resolves.toBeUndefined()
        }
      }
    },
  )

  ctx.test(
    'refuses VXLAN ids 0 and 16777216 with INVALID, accepts 1 and 16777215',
    async ({ driver: { driver }, signal }) => {
      const vxlan = (segmentationId: number) => ({
        type: 'vxlan' as const,
        segmentationId,
        physicalNetwork: null,
      })
      for (const id of [0, VXLAN_MAX + 1]) {
        await expect(driver.checkNetwork(vxlan(id), { signal }), `VNI ${id}`).rejects.toMatchObject({
          code: 'INVALID',
        })
      }
      for (const id of [1, VXLAN_MAX])
        await expect(driver.checkNetwork(vxlan(id), { signal })).resolves.toBeUndefined()
    },
    { requires: 'vxlan' },
  )

  ctx.test(
    'refuses VLAN ids 0 and 4095 with INVALID',
    async ({ driver: { driver, target }, signal }) => {
      for (const segmentationId of [0, 4095]) {
        const vlan = {
          type: 'vlan' as const,
          segmentationId,
          physicalNetwork: target.physicalNetwork ?? null,
        }
        await expect(driver.checkNetwork(vlan, { signal }), `VLAN ${segmentationId}`).rejects.toMatchObject({
          code: 'INVALID',
        })
      }
    },
    { requires: 'vlan' },
  )

  hostTest(
    'makes no change when the same state is applied again',
    async (env) => {
      const { state } = env.sample()
      const first = await env.apply(state)
      expect(first.failedPorts).toEqual([])
      expect(first.changes, 'changes on a bare host').toBeGreaterThan(0)
      expect(await env.apply(state)).toEqual({ changes: 0, failedPorts: [] })
      expect(await env.apply(structuredClone(state)), 'an equal copy').toEqual({
        changes: 0,
        failedPorts: [],
      })
    },
    { requires: 'vxlan' },
  )

  hostTest(
    'adds a port: changes, then none on re-apply',
    async (env) => {
      const sample = env.sample()
      await expectConverges(env, sample.state, sample.withPort(sample.state))
    },
    { requires: 'vxlan' },
  )

  hostTest(
    'removes a security group rule: changes, then none on re-apply',
    async (env) => {
      const { state } = env.sample()
      const after = structuredClone(state)
      after.securityGroups[0]!.rules.shift()
      await expectConverges(env, state, after)
    },
    { requires: ['vxlan', 'securityGroups'] },
  )

  hostTest(
    'adds a flood-list peer: changes, then none on re-apply',
    async (env) => {
      const { state } = env.sample()
      const after = structuredClone(state)
      after.networks[0]!.peers.push('198.51.100.7')
      await expectConverges(env, state, after)
    },
    { requires: 'vxlan' },
  )

  hostTest(
    'adds a floating IP: changes, then none on re-apply',
    async (env) => {
      const { state } = env.sample()
      const after = structuredClone(state)
      const fixedIp = after.ports[1]!.fixedIps[0]!.ipAddress
      after.routers[0]!.floatingIps.push({ id: randomUUID(), floatingIp: '198.18.101.51', fixedIp })
      await expectConverges(env, state, after)
    },
    { requires: ['vxlan', 'routers'] },
  )

  hostTest(
    'removes everything when given an empty state, then makes no change',
    async (env) => {
      const { state } = env.sample()
      const empty: HostState = {
        host: state.host,
        networks: [],
        ports: [],
        securityGroups: [],
        dhcp: [],
        routers: [],
      }
      await expectConverges(env, state, empty)
      expect((await env.apply(state)).changes, 'the full state after the empty one').toBeGreaterThan(0)
    },
    { requires: 'vxlan' },
  )

  hostTest(
    'clearHost removes everything: the full state then applies with changes, and again with none',
    async (env) => {
      const { state } = env.sample()
      expect((await env.apply(state)).failedPorts).toEqual([])
      await env.driver.clearHost(state.host, { signal: env.signal })
      expect((await env.apply(state)).changes, 'after clearHost').toBeGreaterThan(0)
      expect(await env.apply(state)).toEqual({ changes: 0, failedPorts: [] })
    },
    { requires: 'vxlan' },
  )

  hostTest('clears a bare host without error, twice', async (env) => {
    const host = env.hosts[0]!.name
    await env.driver.clearHost(host, { signal: env.signal })
    await env.driver.clearHost(host, { signal: env.signal })
  })

  hostTest(
    'reports a port it cannot plug in failedPorts and applies the rest',
    async (env) => {
      const sample = env.sample()
      const bad = env.target.unpluggablePort!(sample.port())
      const withBad = sample.withPort(sample.state, bad)
      const result = await env.apply(withBad)
      expect(result.failedPorts.map((p) => p.id)).toEqual([bad.id])
      expect(result.failedPorts[0]!.reason).toMatch(/\S/)
      expect(result.changes, 'the rest was applied').toBeGreaterThan(0)
      // Had the rest not been applied, or the failed port left something behind, this would change the host.
      const withoutBad = { ...withBad, ports: withBad.ports.filter((p) => p.id !== bad.id) }
      expect(await env.apply(withoutBad)).toEqual({ changes: 0, failedPorts: [] })
    },
    { requires: ['vxlan', 'unpluggablePort'] },
  )

  hostTest(
    'keeps hosts apart: clearing one leaves the other as it was',
    async (env) => {
      const [a, b] = [env.sample(env.hosts[0]!.name), env.sample(env.hosts[1]!.name)]
      await env.apply(a.state)
      await env.apply(b.state)
      await env.driver.clearHost(a.state.host, { signal: env.signal })
      expect(await env.apply(b.state), 'the other host').toEqual({ changes: 0, failedPorts: [] })
      expect((await env.apply(a.state)).changes, 'the cleared host').toBeGreaterThan(0)
    },
    { requires: ['vxlan', 'twoHosts'] },
  )
})

/**
 * The behaviour every network driver must have (the contract written on `NetworkDriver`), run against the
 * test double and every real driver. Each test builds its states from scratch with {@link sampleHostState}
 * (fresh ids, a random VNI) and clears every host it applied to when it ends. Tests needing a capability the
 * driver lacks — `securityGroups`, `routers`, a segment type — are reported as skipped with the reason; so
 * are the test of `failedPorts` without `unpluggablePort` and the one of two hosts on a one-host driver.
 *
 * @example
 * describeNetworkDriverConformance(() => {
 *   const driver = vxlan({ hosts, vniRange: [1000, 1999] })
 *   return {
 *     driver,
 *     vif: () => ({ type: 'tap' }),
 *     unpluggablePort: (port) => ({ ...port, vif: { type: 'veth', netns: 'nubis-no-such-netns' } }),
 *   }
 * }, { label: 'vxlan on namespace hosts' })
 */
export const describeNetworkDriverConformance: DescribeNetworkDriverConformance = Object.assign(
  (
    factory: () => Promise<NetworkConformanceTarget> | NetworkConformanceTarget,
    options?: ConformanceOptions,
  ) =>
    suite(async (): Promise<ConformanceTarget<Subject>> => {
      const target = await factory()
      // Asked once per test, here, so tests can require two hosts; a failure still runs the factory's cleanup.
      const hosts = await target.driver.listHosts().catch(async (error: unknown) => {
        await target.cleanup?.()
        throw error
      })
      const capabilities = {
        ...target.driver.capabilities,
        unpluggablePort: target.unpluggablePort !== undefined,
        twoHosts: hosts.length >= 2,
      }
      return { driver: { driver: target.driver, capabilities, target, hosts }, cleanup: target.cleanup }
    }, options),
  { suiteName: suite.suiteName, testNames: suite.testNames },
)
