import type { EventBus } from '../core/events.js'
import type { Db, Store, Transaction } from '../store/types.js'
import { buildHostState } from './host-state.js'
import type { NetworkServiceConfig } from './options.js'
import type { NetworkDriver, NetworkHost } from './spi.js'

// The bridge between records and hosts. Changes mark hosts dirty once their transaction commits; one runner per
// host rebuilds that host's whole state from the store and hands it to the driver, so several quick changes
// coalesce into one apply and an apply never sees uncommitted rows. Binding outcomes are written back to the ports.

declare module '../core/events.js' {
  interface CloudEventMap {
    /** A host could not be brought to its state; a later change or `resync` tries again. */
    'network.host.sync_failed': { host: string; message: string }
  }
}

/** Pushes hosts' states to the network driver. */
export class DataPlane {
  /** False for drivers without a data plane: then nothing is built or pushed at all. */
  readonly enabled: boolean
  private readonly dirty = new Set<string>()
  private readonly running = new Map<string, Promise<void>>()
  private hosts: Promise<NetworkHost[]> | undefined

  constructor(
    private readonly deps: {
      store: Store
      events: EventBus
      driver: NetworkDriver
      config: NetworkServiceConfig
    },
  ) {
    this.enabled = deps.driver.capabilities.dataPlane
  }

  /** The host running DHCP servers and routers. */
  async gatewayHost(): Promise<string | undefined> {
    if (this.deps.config.gatewayHost) return this.deps.config.gatewayHost
    return (await this.knownHosts().catch(() => []))[0]?.name
  }

  /**
   * The driver's hosts, asked once and then remembered: records are written inside transactions that must not
   * fail because a host is unreachable (its ports' bindings fail instead). `forget()` asks again.
   */
  async knownHosts(): Promise<NetworkHost[]> {
    this.hosts ??= this.deps.driver.listHosts().catch((error: unknown) => {
      this.hosts = undefined
      throw error
    })
    return this.hosts
  }

  /** Forgets the remembered host list (resync asks the driver again). */
  forget(): void {
    this.hosts = undefined
  }

  /** Hosts where any of the networks is present: those with bound ports on it, and the gateway host. */
  async hostsOfNetworks(db: Db, networkIds: readonly string[]): Promise<string[]> {
    if (!this.enabled || networkIds.length === 0) return []
    const rows = await db
      .selectFrom('net_ports')
      .select('binding_host_id')
      .distinct()
      .where('network_id', 'in', networkIds)
      .where('binding_host_id', '!=', '')
      .execute()
    const gateway = await this.gatewayHost()
    return [...new Set([...rows.map((row) => row.binding_host_id), ...(gateway ? [gateway] : [])])]
  }

  /** Hosts with ports in any of the groups, or in groups whose rules name them as remote group. */
  async hostsOfGroups(db: Db, groupIds: readonly string[]): Promise<string[]> {
    if (!this.enabled || groupIds.length === 0) return []
    const referring = await db
      .selectFrom('net_security_group_rules')
      .select('security_group_id')
      .where('remote_group_id', 'in', groupIds)
      .execute()
    const groups = [...new Set([...groupIds, ...referring.map((row) => row.security_group_id)])]
    const rows = await db
      .selectFrom('net_port_security_groups')
      .innerJoin('net_ports', 'net_ports.id', 'net_port_security_groups.port_id')
      .select('net_ports.binding_host_id')
      .distinct()
      .where('net_port_security_groups.security_group_id', 'in', groups)
      .where('net_ports.binding_host_id', '!=', '')
      .execute()
    return rows.map((row) => row.binding_host_id)
  }

  /** Marks hosts dirty once `tx` commits, and starts their runners. */
  syncAfterCommit(tx: Transaction, hosts: Iterable<string>): void {
    if (!this.enabled) return
    const list = [...hosts]
    if (list.length === 0) return
    tx.afterCommit(() => {
      for (const host of list) this.markDirty(host)
    })
  }

  /** Security groups changed: their hosts need new filters. */
  async securityGroupsChanged(tx: Transaction, groupIds: readonly string[]): Promise<void> {
    this.syncAfterCommit(tx, await this.hostsOfGroups(tx.db, groupIds))
  }

  /** Marks `host` dirty now (resync, or after a commit). */
  markDirty(host: string): void {
    this.dirty.add(host)
    if (!this.running.has(host)) {
      const run = this.run(host).finally(() => this.running.delete(host))
      this.running.set(host, run)
    }
  }

  /** Resolves when every host marked so far has been applied (successfully or not). */
  async flush(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values())
  }

  /** Applies `host`'s state now (after any run in progress) and returns the changes the driver made. */
  async applyNow(host: string): Promise<number> {
    await this.running.get(host)
    const run = this.applyOnce(host)
    this.running.set(
      host,
      run.then(() => undefined),
    )
    try {
      return await run
    } finally {
      this.running.delete(host)
      if (this.dirty.has(host)) this.markDirty(host)
    }
  }

  private async run(host: string): Promise<void> {
    while (this.dirty.delete(host)) await this.applyOnce(host)
  }

  private async applyOnce(host: string): Promise<number> {
    try {
      const state = await buildHostState(this.deps.store.db, host, this)
      const result = await this.deps.driver.applyHost(state)
      await this.recordBindings(
        host,
        state.ports.map((port) => port.id),
        result.failedPorts,
      )
      return result.changes
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      await this.recordBindings(host, null, []).catch(() => undefined)
      this.deps.events.emit('network.host.sync_failed', { host, message })
      return 0
    }
  }

  /** Writes binding outcomes: applied ports become ACTIVE, failed ones `binding_failed` (all of them if `applied` is null). */
  private async recordBindings(
    host: string,
    applied: string[] | null,
    failed: { id: string; reason: string }[],
  ): Promise<void> {
    const failedIds = new Set(failed.map((port) => port.id))
    await this.deps.store.transaction(async (tx) => {
      const ports = await tx.db
        .selectFrom('net_ports')
        .select(['id', 'binding_vif_type', 'status', 'binding_profile'])
        .where('binding_host_id', '=', host)
        .execute()
      for (const port of ports) {
        // Ports the state did not carry (bound after it was read) wait for the next apply.
        if (applied !== null && !applied.includes(port.id) && !failedIds.has(port.id)) continue
        const ok = applied !== null && !failedIds.has(port.id)
        const vifType = ok ? vifTypeOf(port.binding_profile) : 'binding_failed'
        const status = ok ? 'ACTIVE' : 'DOWN'
        if (port.binding_vif_type === vifType && port.status === status) continue
        await tx.db
          .updateTable('net_ports')
          .set((eb) => ({ binding_vif_type: vifType, status, revision: eb('revision', '+', 1) }))
          .where('id', '=', port.id)
          .execute()
      }
    })
  }
}

/** The VIF type a binding profile asks for: a veth into a namespace, or a tap (the default). */
export function vifTypeOf(profileJson: string): 'tap' | 'veth' {
  const profile = JSON.parse(profileJson) as { vif?: unknown; netns?: unknown }
  return profile.vif === 'veth' && typeof profile.netns === 'string' ? 'veth' : 'tap'
}
