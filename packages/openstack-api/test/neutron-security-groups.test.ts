import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectNeutronError, type NeutronFixture, neutronFixture, type Obj } from './neutron-fixtures.js'

let f: NeutronFixture
beforeAll(async () => {
  f = await neutronFixture()
})
afterAll(() => f.close())

const rule = (body: Record<string, unknown>) =>
  f.call('POST', '/v2.0/security-group-rules', { security_group_rule: body })

describe('Neutron security groups', () => {
  it('lists the project’s default group, made on first use', async () => {
    const groups = (await f.call('GET', '/v2.0/security-groups')).json().security_groups as Obj[]
    const fallback = groups.find((group) => group.name === 'default')
    expect(fallback).toMatchObject({ tenant_id: f.opsId, project_id: f.opsId, stateful: true })
    expect(fallback?.security_group_rules).not.toEqual([])
  })

  it('creates, shows, updates and deletes a group, with its egress rules', async () => {
    const group = await f.create('security-groups', 'security_group', { name: 'web', description: 'http' })
    expect(group).toEqual({
      id: expect.any(String),
      name: 'web',
      description: 'http',
      tenant_id: f.opsId,
      project_id: f.opsId,
      stateful: true,
      security_group_rules: expect.arrayContaining([
        expect.objectContaining({
          direction: 'egress',
          ethertype: 'IPv4',
          security_group_id: expect.any(String),
        }),
      ]),
      tags: [],
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
      revision_number: expect.any(Number),
    })
    const updated = await f.call('PUT', `/v2.0/security-groups/${group.id}`, {
      security_group: { name: 'www', description: 'https' },
    })
    expect(updated.statusCode, updated.body).toBe(200)
    expect(updated.json().security_group).toMatchObject({ name: 'www', description: 'https' })
    expect((await f.call('GET', '/v2.0/security-groups?name=www')).json().security_groups).toHaveLength(1)
    expect((await f.call('DELETE', `/v2.0/security-groups/${group.id}`)).statusCode).toBe(204)
    expectNeutronError(await f.call('GET', `/v2.0/security-groups/${group.id}`), 404, 'SecurityGroupNotFound')
  })

  it('creates, shows, lists and deletes rules', async () => {
    const group = await f.create('security-groups', 'security_group', { name: 'rules' })
    const created = await rule({
      security_group_id: group.id,
      direction: 'ingress',
      protocol: 'tcp',
      port_range_min: 22,
      port_range_max: '22',
      remote_ip_prefix: '192.168.0.0/16',
    })
    expect(created.statusCode, created.body).toBe(201)
    const made = created.json().security_group_rule
    expect(made).toEqual({
      id: expect.any(String),
      tenant_id: f.opsId,
      project_id: f.opsId,
      security_group_id: group.id,
      direction: 'ingress',
      ethertype: 'IPv4',
      protocol: 'tcp',
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: '192.168.0.0/16',
      remote_group_id: null,
      description: '',
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
      revision_number: expect.any(Number),
    })
    const shown = await f.call('GET', `/v2.0/security-group-rules/${made.id}`)
    expect(shown.json()).toEqual({ security_group_rule: made })
    const listed = await f.call(
      'GET',
      `/v2.0/security-group-rules?security_group_id=${group.id}&direction=ingress`,
    )
    expect(listed.json().security_group_rules).toEqual([made])
    const inGroup = (await f.call('GET', `/v2.0/security-groups/${group.id}`)).json().security_group
    expect(inGroup.security_group_rules).toContainEqual(made)

    const duplicate = await rule({
      security_group_id: group.id,
      direction: 'ingress',
      protocol: 'tcp',
      port_range_min: 22,
      port_range_max: 22,
      remote_ip_prefix: '192.168.0.0/16',
    })
    expectNeutronError(duplicate, 409)
    expect((await f.call('DELETE', `/v2.0/security-group-rules/${made.id}`)).statusCode).toBe(204)
    expectNeutronError(
      await f.call('GET', `/v2.0/security-group-rules/${made.id}`),
      404,
      'SecurityGroupRuleNotFound',
    )
  })

  it('refuses a bad protocol, port range, ethertype or prefix with 400', async () => {
    const group = await f.create('security-groups', 'security_group', { name: 'bad-rules' })
    const base = { security_group_id: group.id, direction: 'ingress' }
    expectNeutronError(await rule({ ...base, protocol: 'tcpx' }), 400)
    expectNeutronError(await rule({ ...base, protocol: 'tcp', port_range_min: 90, port_range_max: 80 }), 400)
    expectNeutronError(
      await rule({ ...base, protocol: 'tcp', port_range_min: 70000, port_range_max: 70000 }),
      400,
    )
    expectNeutronError(await rule({ ...base, ethertype: 'IPv5' }), 400)
    expectNeutronError(await rule({ ...base, remote_ip_prefix: '300.0.0.0/8' }), 400)
    expectNeutronError(await rule({ ...base, direction: 'sideways' }), 400)
    expectNeutronError(await rule({ ...base, security_group_id: 'missing' }), 404, 'SecurityGroupNotFound')
  })
})
