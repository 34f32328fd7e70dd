import { testStore } from '@nubis/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Cloud, createCloud } from '../../src/cloud.js'
import type { SecurityGroupRuleCreate } from '../../src/network/port-schemas.js'
import { postgresStore } from '../../src/store/postgres.js'
import { errorOf, memberOf, type NetworkFixture, networkFixture } from './fixture.js'

let f: NetworkFixture
beforeEach(async () => {
  f = await networkFixture({ quotas: { defaults: { security_group: 3 } } })
})
afterEach(() => f.close())

const rule = (securityGroupId: string, extra: Partial<SecurityGroupRuleCreate> = {}) =>
  f.cloud.network.createSecurityGroupRule(f.alice, { securityGroupId, direction: 'ingress', ...extra })

/** The rules of a group without ids and times, sorted, to compare with what Neutron makes. */
const shapes = (rules: { direction: string; ethertype: string; remoteGroupId: string | null }[]) =>
  rules.map((r) => `${r.direction} ${r.ethertype} ${r.remoteGroupId ?? '-'}`).sort()

describe('the default security group', () => {
  it('is made on the first list, once, with Neutron’s four rules', async () => {
    const [group, ...others] = (await f.cloud.network.listSecurityGroups(f.alice)).items
    expect(others).toEqual([])
    expect(group).toMatchObject({
      name: 'default',
      description: 'Default security group',
      projectId: 'p-alice',
    })
    expect(shapes(group!.securityGroupRules)).toEqual([
      'egress IPv4 -',
      'egress IPv6 -',
      `ingress IPv4 ${group!.id}`,
      `ingress IPv6 ${group!.id}`,
    ])
    expect(group!.securityGroupRules.every((r) => r.protocol === null && r.remoteIpPrefix === null)).toBe(
      true,
    )
    const again = (await f.cloud.network.listSecurityGroups(f.alice)).items
    expect(again.map((g) => g.id)).toEqual([group!.id])
    await expect(f.cloud.network.getSecurityGroup(f.alice, group!.id)).resolves.toEqual(group)
  })

  it('is also made by listing rules, and by creating another group first', async () => {
    const rules = (await f.cloud.network.listSecurityGroupRules(f.bob)).items
    expect(rules).toHaveLength(4)
    await f.cloud.network.createSecurityGroup(f.alice, { name: 'web' })
    const names = (await f.cloud.network.listSecurityGroups(f.alice)).items.map((g) => g.name).sort()
    expect(names).toEqual(['default', 'web'])
  })

  it('keeps its name, and only an admin may delete it; it comes back on the next list', async () => {
    const group = (await f.cloud.network.listSecurityGroups(f.alice)).items[0]!
    const rename = await errorOf(f.cloud.network.updateSecurityGroup(f.alice, group.id, { name: 'other' }))
    expect(rename).toMatchObject({
      code: 'CONFLICT',
      message: 'Updating default security group not allowed.',
    })
    const described = await f.cloud.network.updateSecurityGroup(f.alice, group.id, { description: 'mine' })
    expect(described).toMatchObject({ name: 'default', description: 'mine', revisionNumber: 2 })
    const remove = await errorOf(f.cloud.network.deleteSecurityGroup(f.alice, group.id))
    expect(remove).toMatchObject({
      code: 'CONFLICT',
      message: 'Removing default security group not allowed.',
    })
    await f.cloud.network.deleteSecurityGroup(f.admin, group.id)
    expect(
      (await f.cloud.network.listSecurityGroupRules(f.admin, { securityGroupId: group.id })).items,
    ).toEqual([])
    const next = (await f.cloud.network.listSecurityGroups(f.alice)).items
    expect(next).toHaveLength(1)
    expect(next[0]!.id).not.toBe(group.id)
  })

  it('refuses the name default for other groups', async () => {
    const create = await errorOf(f.cloud.network.createSecurityGroup(f.alice, { name: 'Default' }))
    expect(create).toMatchObject({ code: 'CONFLICT', details: { type: 'SecurityGroupDefaultAlreadyExists' } })
    const web = await f.cloud.network.createSecurityGroup(f.alice, { name: 'web' })
    const rename = await errorOf(f.cloud.network.updateSecurityGroup(f.alice, web.id, { name: 'default' }))
    expect(rename.code).toBe('CONFLICT')
  })
})

describe('security groups', () => {
  it('get egress-only rules, a stateful flag and tags, and announce themselves', async () => {
    const created: string[] = []
    f.cloud.events.on('network.security_group.created', (e) => {
      created.push(e.id)
    })
    const web = await f.cloud.network.createSecurityGroup(f.alice, { name: 'web', tags: ['a'] })
    expect(web).toMatchObject({
      name: 'web',
      description: '',
      stateful: true,
      tags: ['a'],
      projectId: 'p-alice',
    })
    expect(shapes(web.securityGroupRules)).toEqual(['egress IPv4 -', 'egress IPv6 -'])
    const stateless = await f.cloud.network.createSecurityGroup(f.alice, { name: 'raw', stateful: false })
    expect(stateless.stateful).toBe(false)
    expect(
      (await f.cloud.network.listSecurityGroups(f.alice, { stateful: false })).items.map((g) => g.id),
    ).toEqual([stateless.id])
    expect(created).toHaveLength(3) // the default group too
    expect(created).toContain(web.id)
  })

  it('hides another project’s groups and rules as NOT_FOUND', async () => {
    const web = await f.cloud.network.createSecurityGroup(f.alice, { name: 'web' })
    const ssh = await rule(web.id, { protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 })
    const { network } = f.cloud
    for (const call of [
      network.getSecurityGroup(f.bob, web.id),
      network.updateSecurityGroup(f.bob, web.id, { description: 'x' }),
      network.deleteSecurityGroup(f.bob, web.id),
      network.createSecurityGroupRule(f.bob, { securityGroupId: web.id, direction: 'ingress' }),
      network.getSecurityGroupRule(f.bob, ssh.id),
      network.deleteSecurityGroupRule(f.bob, ssh.id),
    ]) {
      expect((await errorOf(call)).code).toBe('NOT_FOUND')
    }
    expect((await network.listSecurityGroups(f.bob)).items.map((g) => g.name)).toEqual(['default'])
    expect((await network.listSecurityGroupRules(f.bob, { securityGroupId: web.id })).items).toEqual([])
    // A remote group must be visible too.
    const bobs = await network.createSecurityGroup(f.bob, { name: 'bob' })
    expect((await errorOf(rule(web.id, { remoteGroupId: bobs.id }))).code).toBe('NOT_FOUND')
    expect((await errorOf(rule(web.id, { remoteGroupId: 'nope' }))).code).toBe('NOT_FOUND')
    // Admins see everything; readers may look but not change.
    await expect(network.getSecurityGroupRule(f.admin, ssh.id)).resolves.toMatchObject({ id: ssh.id })
    const reader = memberOf('p-alice', ['reader'])
    await expect(network.getSecurityGroup(reader, web.id)).resolves.toMatchObject({ id: web.id })
    expect((await errorOf(network.createSecurityGroup(reader, { name: 'r' }))).code).toBe('FORBIDDEN')
    expect((await errorOf(network.deleteSecurityGroupRule(reader, ssh.id))).code).toBe('FORBIDDEN')
  })

  it('counts groups and rules against the project’s quotas', async () => {
    // Limits: 3 groups and 12 rules. The default group holds 4 rules, each other group 2.
    await f.cloud.quotas.setLimit(f.cloud.store, 'p-alice', 'security_group_rule', 12)
    const a = await f.cloud.network.createSecurityGroup(f.alice, { name: 'a' })
    await f.cloud.network.createSecurityGroup(f.alice, { name: 'b' })
    expect((await errorOf(f.cloud.network.createSecurityGroup(f.alice, { name: 'c' }))).code).toBe(
      'QUOTA_EXCEEDED',
    )
    for (const port of [1, 2, 3, 4])
      await rule(a.id, { protocol: 'tcp', portRangeMin: port, portRangeMax: port })
    expect((await errorOf(rule(a.id, { protocol: 'udp' }))).code).toBe('QUOTA_EXCEEDED')
    // Bob's usage is his own.
    await expect(f.cloud.network.createSecurityGroup(f.bob, { name: 'a' })).resolves.toBeDefined()
  })

  it('cannot be deleted while ports use it; its rules and the rules naming it go with it', async () => {
    const { network } = f.cloud
    const web = await network.createSecurityGroup(f.alice, { name: 'web' })
    const db = await network.createSecurityGroup(f.alice, { name: 'db' })
    const fromWeb = await rule(db.id, {
      protocol: 'tcp',
      portRangeMin: 5432,
      portRangeMax: 5432,
      remoteGroupId: web.id,
    })
    const net = await network.createNetwork(f.alice, { name: 'n' })
    const port = await network.createPort(f.alice, { networkId: net.id, securityGroups: [web.id] })
    const inUse = await errorOf(network.deleteSecurityGroup(f.alice, web.id))
    expect(inUse).toMatchObject({ code: 'CONFLICT', details: { type: 'SecurityGroupInUse' } })
    await network.deletePort(f.alice, port.id)
    const deleted: string[] = []
    f.cloud.events.on('network.security_group_rule.deleted', (e) => {
      deleted.push(e.id)
    })
    await network.deleteSecurityGroup(f.alice, web.id)
    expect((await errorOf(network.getSecurityGroup(f.alice, web.id))).code).toBe('NOT_FOUND')
    expect((await errorOf(network.getSecurityGroupRule(f.alice, fromWeb.id))).code).toBe('NOT_FOUND')
    expect(deleted).toEqual([fromWeb.id])
    expect((await network.getSecurityGroup(f.alice, db.id)).securityGroupRules).toHaveLength(2)
    expect((await network.listSecurityGroupRules(f.alice, { securityGroupId: web.id })).items).toEqual([])
  })
})

describe('security group rules', () => {
  let groupId: string
  beforeEach(async () => {
    groupId = (await f.cloud.network.createSecurityGroup(f.alice, { name: 'web' })).id
  })

  it('refuses what Neutron refuses, with INVALID', async () => {
    const cases: [Partial<SecurityGroupRuleCreate>, string?][] = [
      [{ protocol: 'carrier-pigeon' }, 'not supported'],
      [{ protocol: 256 }, 'not supported'],
      [{ protocol: '-1' }, 'not supported'],
      [{ protocol: 'icmpv6' }, 'Invalid ethertype IPv4 for protocol icmpv6'],
      [{ protocol: '58' }, 'Invalid ethertype'],
      [{ portRangeMin: 22, portRangeMax: 22 }, 'Must also specify protocol'],
      [{ protocol: 'tcp', portRangeMin: 80, portRangeMax: 79 }, 'port_range_min must be <= port_range_max'],
      [{ protocol: 'tcp', portRangeMin: 80 }, 'port_range_min must be <= port_range_max'],
      [{ protocol: 'tcp', portRangeMax: 80 }],
      [{ protocol: 'udp', portRangeMin: 0, portRangeMax: 10 }, 'Invalid value for port 0'],
      [{ protocol: 'tcp', portRangeMin: 1, portRangeMax: 65536 }, 'Invalid value for port 65536'],
      [{ protocol: 'icmp', portRangeMin: 256 }, 'ICMP type'],
      [{ protocol: 'icmp', portRangeMin: 8, portRangeMax: 256 }, 'ICMP code'],
      [{ protocol: 'icmp', portRangeMax: 0 }, 'ICMP type (port-range-min) is missing'],
      [{ protocol: 'gre', portRangeMin: 1, portRangeMax: 1 }, 'only supported for TCP, UDP'],
      [{ remoteIpPrefix: 'fd00::/64' }, 'Conflicting value ethertype IPv4'],
      [{ ethertype: 'IPv6', remoteIpPrefix: '10.0.0.0/8' }, 'Conflicting value ethertype IPv6'],
      [{ remoteIpPrefix: '10.0.0.0/33' }],
      [{ remoteIpPrefix: 'banana' }],
      [{ remoteIpPrefix: '10.0.0.0/8', remoteGroupId: 'x' }, 'Only remote_ip_prefix or remote_group_id'],
    ]
    for (const [extra, words] of cases) {
      const error = await errorOf(rule(groupId, extra))
      expect(error.code, JSON.stringify(extra)).toBe('INVALID')
      if (words) expect(error.message, JSON.stringify(extra)).toContain(words)
    }
    expect((await f.cloud.network.getSecurityGroup(f.alice, groupId)).securityGroupRules).toHaveLength(2)
  })

  it('stores protocols, ports and prefixes in Neutron’s normal form', async () => {
    const ssh = await rule(groupId, {
      protocol: 'TCP',
      portRangeMin: 22,
      portRangeMax: 22,
      description: 'ssh',
    })
    expect(ssh).toMatchObject({
      securityGroupId: groupId,
      projectId: 'p-alice',
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: 'tcp',
      portRangeMin: 22,
      portRangeMax: 22,
      remoteIpPrefix: null,
      remoteGroupId: null,
      description: 'ssh',
    })
    expect((await rule(groupId, { protocol: 17, remoteIpPrefix: '10.0.0.5/24' })).remoteIpPrefix).toBe(
      '10.0.0.0/24',
    )
    expect((await rule(groupId, { protocol: '17', remoteIpPrefix: '10.1.2.3' })).remoteIpPrefix).toBe(
      '10.1.2.3/32',
    )
    expect((await rule(groupId, { protocol: 'any', remoteIpPrefix: '10.9.0.0/16' })).protocol).toBeNull()
    const ping = await rule(groupId, { protocol: 'icmp', portRangeMin: 8 })
    expect(ping).toMatchObject({ protocol: 'icmp', portRangeMin: 8, portRangeMax: null })
    const ping6 = await rule(groupId, { ethertype: 'IPv6', protocol: 'icmpv6', remoteIpPrefix: 'FD00::1/64' })
    expect(ping6).toMatchObject({ protocol: 'ipv6-icmp', remoteIpPrefix: 'fd00::/64' })
    expect((await rule(groupId, { ethertype: 'IPv6', protocol: 1 })).protocol).toBe('58')
    await expect(f.cloud.network.getSecurityGroupRule(f.alice, ssh.id)).resolves.toEqual(ssh)
    const listed = await f.cloud.network.listSecurityGroupRules(f.alice, {
      securityGroupId: groupId,
      protocol: 'tcp',
    })
    expect(listed.items).toEqual([ssh])
  })

  it('refuses a duplicate, naming the rule it repeats', async () => {
    const ssh = await rule(groupId, { protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 })
    for (const same of [
      { protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, description: 'other words' },
      { protocol: '6', portRangeMin: 22, portRangeMax: 22 },
      { protocol: 'tcp', portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: '0.0.0.0/0' },
    ]) {
      const error = await errorOf(rule(groupId, same))
      expect(error).toMatchObject({
        code: 'CONFLICT',
        message: `Security group rule already exists. Rule id is ${ssh.id}.`,
        details: { type: 'SecurityGroupRuleExists' },
      })
    }
    // The automatic egress rule counts too.
    const egress = (await f.cloud.network.getSecurityGroup(f.alice, groupId)).securityGroupRules.find(
      (r) => r.ethertype === 'IPv6',
    )!
    const again = await errorOf(
      rule(groupId, { direction: 'egress', ethertype: 'IPv6', remoteIpPrefix: '::/0' }),
    )
    expect(again.message).toContain(egress.id)
    // Another direction, port or ethertype is another rule.
    await rule(groupId, { direction: 'egress', protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 })
    await rule(groupId, { ethertype: 'IPv6', protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 })
  })

  it('are deleted one by one, with an event', async () => {
    const deleted: { id: string; securityGroupId: string }[] = []
    f.cloud.events.on('network.security_group_rule.deleted', (e) => {
      deleted.push({ id: e.id, securityGroupId: e.securityGroupId })
    })
    const ssh = await rule(groupId, { protocol: 'tcp', portRangeMin: 22, portRangeMax: 22 })
    await f.cloud.network.deleteSecurityGroupRule(f.alice, ssh.id)
    expect(deleted).toMatchObject([{ id: ssh.id, securityGroupId: groupId }])
    expect((await errorOf(f.cloud.network.deleteSecurityGroupRule(f.alice, ssh.id))).code).toBe('NOT_FOUND')
    expect((await f.cloud.network.getSecurityGroup(f.alice, groupId)).securityGroupRules).toHaveLength(2)
  })
})

describe('two control planes on one PostgreSQL', () => {
  let one: Cloud
  let two: Cloud
  beforeEach(async () => {
    const store = await testStore('postgres')
    one = await createCloud({ store, tasks: { recoverEveryMs: 0 } })
    two = await createCloud({ store: postgresStore({ url: store.url }), tasks: { recoverEveryMs: 0 } })
  })
  afterEach(async () => {
    await two.close()
    await one.close() // drops the database
  })

  it('make one default group between them, and let only one of two equal rules in', async () => {
    const alice = memberOf('p-alice')
    const lists = await Promise.all(
      [one, two, one, two].map((cloud) => cloud.network.listSecurityGroups(alice)),
    )
    const ids = new Set(lists.flatMap((page) => page.items.map((g) => g.id)))
    expect(ids.size).toBe(1)
    const groupId = [...ids][0]!
    const input = {
      securityGroupId: groupId,
      direction: 'ingress',
      protocol: 'tcp',
      portRangeMin: 80,
      portRangeMax: 80,
    }
    const results = await Promise.allSettled(
      [one, two, one, two].map((cloud) =>
        cloud.network.createSecurityGroupRule(alice, input as SecurityGroupRuleCreate),
      ),
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    for (const r of results) {
      if (r.status === 'rejected')
        expect(r.reason).toMatchObject({ details: { type: 'SecurityGroupRuleExists' } })
    }
  })
})
