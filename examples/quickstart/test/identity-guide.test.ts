import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { main } from '../identity.js'

const ROOT = new URL('../../../', import.meta.url)

describe('docs/identity.md', () => {
  it('runs its tour: login, roles, policy, application credential, revocation', async () => {
    expect(await main()).toEqual({
      roles: ['member', 'reader'],
      scope: 'web',
      mayListUsers: false,
      appCredRoles: ['member', 'reader'],
      revoked: 'NOT_FOUND',
    })
  })

  it('shows the tour exactly as the example file has it', async () => {
    const source = await readFile(new URL('examples/quickstart/identity.ts', ROOT), 'utf8')
    const guide = await readFile(new URL('docs/identity.md', ROOT), 'utf8')
    const code = source.slice(source.indexOf('\nimport ') + 1)
    expect(guide).toContain(`\`\`\`ts\n${code}\`\`\``)
  })
})
