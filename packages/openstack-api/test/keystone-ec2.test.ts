import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type KeystoneFixture, keystoneFixture } from './keystone-fixtures.js'

let f: KeystoneFixture
beforeAll(async () => {
  f = await keystoneFixture()
})
afterAll(() => f.close())

describe('Keystone OS-EC2 credentials', () => {
  it('creates, lists, shows and deletes a member’s own access/secret pair', async () => {
    const base = `/v3/users/${f.memberId}/credentials/OS-EC2`
    const created = await f.call('POST', base, { tenant_id: f.projectId }, f.memberToken)
    expect(created.statusCode).toBe(201)
    const credential = created.json().credential
    expect(credential).toMatchObject({ user_id: f.memberId, tenant_id: f.projectId, trust_id: null })
    expect(credential.access).toMatch(/^[0-9a-f]{32}$/)
    expect(credential.secret).toMatch(/^[0-9a-f]{32}$/)
    // What S3 signature checks will use: the secret comes back by access key.
    const found = await f.cloud.identity.findEc2Credential(credential.access)
    expect(JSON.parse(found!.blob).secret).toBe(credential.secret)

    const listed = (await f.call('GET', base, undefined, f.memberToken)).json().credentials
    expect(listed.map((c: { access: string }) => c.access)).toEqual([credential.access])
    const shown = await f.call('GET', `${base}/${credential.access}`, undefined, f.memberToken)
    expect(shown.json().credential.secret).toBe(credential.secret)

    const others = await f.call(
      'POST',
      `/v3/users/${f.adminId}/credentials/OS-EC2`,
      { tenant_id: f.projectId },
      f.memberToken,
    )
    expect(others.statusCode).toBe(403)

    expect(
      (await f.call('DELETE', `${base}/${credential.access}`, undefined, f.memberToken)).statusCode,
    ).toBe(204)
    expect((await f.call('GET', `${base}/${credential.access}`, undefined, f.memberToken)).statusCode).toBe(
      404,
    )
    expect(await f.cloud.identity.findEc2Credential(credential.access)).toBeUndefined()
  })
})
