import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseDocument, stringify } from 'yaml'

/** What the `openstack` CLI needs to log in as the bootstrap admin. */
export interface AdminCredentials {
  authUrl: string
  username: string
  password: string
  projectName: string
  userDomainName: string
  projectDomainName: string
  regionName: string
}

/** File names inside the data dir. */
export const OPENRC_FILE = 'admin-openrc.sh'
export const CLOUDS_FILE = 'clouds.yaml'
/** The entry name in clouds.yaml (`openstack --os-cloud nubis …`). */
export const CLOUD_NAME = 'nubis'

/** The server's base URL; a wildcard listen address is replaced by loopback, which clients can reach. */
export function baseUrlFor(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host
  const bracketed = reachable.includes(':') ? `[${reachable}]` : reachable
  return `http://${bracketed}:${port}`
}

/** Keystone's URL on this server (served under `/identity`, as in DevStack). */
export function authUrlFor(host: string, port: number): string {
  return `${baseUrlFor(host, port)}/identity/v3`
}

/** POSIX single-quoting: nothing is special inside single quotes except the quote itself. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}

/** The body of admin-openrc.sh, the file `source` reads. */
export function openrc(credentials: AdminCredentials): string {
  const vars: [string, string][] = [
    ['OS_AUTH_URL', credentials.authUrl],
    ['OS_USERNAME', credentials.username],
    ['OS_PASSWORD', credentials.password],
    ['OS_PROJECT_NAME', credentials.projectName],
    ['OS_USER_DOMAIN_NAME', credentials.userDomainName],
    ['OS_PROJECT_DOMAIN_NAME', credentials.projectDomainName],
    ['OS_IDENTITY_API_VERSION', '3'],
    ['OS_REGION_NAME', credentials.regionName],
  ]
  return [
    '# Nubis admin credentials, written by `nubis serve` on its first start. Keep this file private.',
    '# Usage: source admin-openrc.sh && openstack token issue',
    ...vars.map(([name, value]) => `export ${name}=${shellWord(value)}`),
    '',
  ].join('\n')
}

/** The body of clouds.yaml with one cloud, {@link CLOUD_NAME}. */
export function cloudsYaml(credentials: AdminCredentials): string {
  const auth = {
    auth_url: credentials.authUrl,
    username: credentials.username,
    password: credentials.password,
    project_name: credentials.projectName,
    user_domain_name: credentials.userDomainName,
    project_domain_name: credentials.projectDomainName,
  }
  const cloud = { auth, region_name: credentials.regionName, identity_api_version: 3, interface: 'public' }
  return stringify({ clouds: { [CLOUD_NAME]: cloud } })
}

/** Paths of the two credential files in `dataDir`. */
export function credentialPaths(dataDir: string): { openrc: string; clouds: string } {
  return { openrc: join(dataDir, OPENRC_FILE), clouds: join(dataDir, CLOUDS_FILE) }
}

/** Writes `data` readable by the owner only; chmod too, because `mode` applies only when the file is new. */
async function writePrivate(path: string, data: string): Promise<void> {
  await writeFile(path, data, { mode: 0o600 })
  await chmod(path, 0o600)
}

/** Writes admin-openrc.sh and clouds.yaml (mode 0600) into `dataDir`. */
export async function writeCredentialFiles(dataDir: string, credentials: AdminCredentials): Promise<void> {
  const paths = credentialPaths(dataDir)
  await writePrivate(paths.openrc, openrc(credentials))
  await writePrivate(paths.clouds, cloudsYaml(credentials))
}

/**
 * On later starts the host or port may differ: rewrites only the auth URL in both files and keeps the rest,
 * password included, and whatever the user added. Returns the files that were missing.
 */
export async function updateAuthUrl(dataDir: string, authUrl: string): Promise<string[]> {
  const paths = credentialPaths(dataDir)
  const missing: string[] = []
  const rc = await readFile(paths.openrc, 'utf8').catch(() => undefined)
  if (rc === undefined) missing.push(paths.openrc)
  else {
    const updated = rc.replace(/^export OS_AUTH_URL=.*$/m, `export OS_AUTH_URL=${shellWord(authUrl)}`)
    if (updated !== rc) await writePrivate(paths.openrc, updated)
  }
  const yamlText = await readFile(paths.clouds, 'utf8').catch(() => undefined)
  if (yamlText === undefined) missing.push(paths.clouds)
  else {
    const doc = parseDocument(yamlText)
    const path = ['clouds', CLOUD_NAME, 'auth', 'auth_url']
    if (doc.hasIn(path) && doc.getIn(path) !== authUrl) {
      doc.setIn(path, authUrl)
      await writePrivate(paths.clouds, doc.toString())
    }
  }
  return missing
}
