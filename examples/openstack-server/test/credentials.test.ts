import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import {
  type AdminCredentials,
  authUrlFor,
  credentialPaths,
  updateAuthUrl,
  writeCredentialFiles,
} from '../src/credentials.js'

const credentials = (password: string): AdminCredentials => ({
  authUrl: authUrlFor('127.0.0.1', 8080),
  username: 'admin',
  password,
  projectName: 'admin',
  userDomainName: 'Default',
  projectDomainName: 'Default',
  regionName: 'RegionOne',
})

/** What `sh` sees after sourcing the file: the variable's value, read back through the shell itself. */
function sourced(file: string, name: string): string {
  const out = execFileSync('sh', ['-c', '. "$1" && printenv -- "$2"', 'sh', file, name], { encoding: 'utf8' })
  return out.replace(/\n$/, '')
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nubis-credentials-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('credential files', () => {
  it('writes an openrc that a shell reads back exactly, even for a hostile password', async () => {
    const password = `it's $(echo INJECTED) "quoted" \`tick\` \\ end`
    await writeCredentialFiles(dir, credentials(password))
    const { openrc, clouds } = credentialPaths(dir)
    expect(sourced(openrc, 'OS_PASSWORD')).toBe(password)
    expect(sourced(openrc, 'OS_AUTH_URL')).toBe('http://127.0.0.1:8080/identity/v3')
    expect(sourced(openrc, 'OS_USER_DOMAIN_NAME')).toBe('Default')
    expect(parse(await readFile(clouds, 'utf8')).clouds.nubis.auth.password).toBe(password)
    for (const file of [openrc, clouds]) expect((await stat(file)).mode & 0o777).toBe(0o600)
  })

  it('updates only the auth URL on a later start, keeping the password and user edits', async () => {
    await writeCredentialFiles(dir, credentials('pw-1'))
    const { openrc, clouds } = credentialPaths(dir)
    await writeFile(clouds, `# mine\n${await readFile(clouds, 'utf8')}`)
    expect(await updateAuthUrl(dir, authUrlFor('::', 9000))).toEqual([])
    expect(sourced(openrc, 'OS_AUTH_URL')).toBe('http://[::1]:9000/identity/v3')
    expect(sourced(openrc, 'OS_PASSWORD')).toBe('pw-1')
    const yamlText = await readFile(clouds, 'utf8')
    expect(yamlText).toContain('# mine')
    expect(parse(yamlText).clouds.nubis.auth).toMatchObject({
      auth_url: 'http://[::1]:9000/identity/v3',
      password: 'pw-1',
    })
  })

  it('reports missing files instead of inventing a password', async () => {
    expect(await updateAuthUrl(dir, authUrlFor('0.0.0.0', 1))).toEqual(Object.values(credentialPaths(dir)))
  })
})
