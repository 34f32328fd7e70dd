import { randomBytes } from 'node:crypto'
import { type Cloud, DEFAULT_DOMAIN_ID } from '@nubis/sdk'
import { type AdminCredentials, authUrlFor, updateAuthUrl, writeCredentialFiles } from './credentials.js'

/** The settings key marking that the bootstrap admin was created (and by which names). */
export const BOOTSTRAP_ADMIN_KEY = 'bootstrap.admin'

/** The value stored under {@link BOOTSTRAP_ADMIN_KEY} (JSON): names only, the password is in the user row. */
export interface BootstrapAdmin {
  user: string
  project: string
  domain: string
  userId: string
  projectId: string
}

/** Options of {@link bootstrapAdmin}. */
export interface BootstrapOptions {
  dataDir: string
  /** Where the server listens, for the auth URL in the credential files. */
  host: string
  port: number
  /** The admin password to use on the first start (`NUBIS_ADMIN_PASSWORD`); generated when absent. */
  password?: string
}

/** What happened: on the first start, the password and whether it was generated (only then is it shown). */
export type BootstrapResult =
  | { created: true; password: string; generated: boolean }
  | { created: false; missingFiles: string[]; passwordIgnored: boolean }

/** 24 random bytes: 192 bits, 32 URL- and shell-safe characters. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url')
}

/**
 * Creates, on the first start of a data dir, what `keystone-manage bootstrap` creates: the `admin` project and
 * user in the Default domain, with the admin role on the project and on the system; then writes
 * admin-openrc.sh and clouds.yaml. On later starts it only updates the auth URL in those files: the password is
 * never shown or written again.
 */
export async function bootstrapAdmin(cloud: Cloud, options: BootstrapOptions): Promise<BootstrapResult> {
  const authUrl = authUrlFor(options.host, options.port)
  if ((await cloud.settings.get(BOOTSTRAP_ADMIN_KEY)) === undefined) {
    const password = options.password ?? generatePassword()
    // The marker is claimed first, so two processes starting on one store at once create a single admin.
    if (await cloud.settings.setIfAbsent(BOOTSTRAP_ADMIN_KEY, '{}')) {
      const record = await createAdmin(cloud, password)
      await cloud.settings.set(BOOTSTRAP_ADMIN_KEY, JSON.stringify(record))
      await writeCredentialFiles(options.dataDir, adminCredentials(authUrl, password))
      return { created: true, password, generated: options.password === undefined }
    }
  }
  const missingFiles = await updateAuthUrl(options.dataDir, authUrl)
  return { created: false, missingFiles, passwordIgnored: options.password !== undefined }
}

async function createAdmin(cloud: Cloud, password: string): Promise<BootstrapAdmin> {
  const ctx = cloud.system()
  const { identity } = cloud
  const project = await identity.createProject(ctx, {
    name: 'admin',
    domainId: DEFAULT_DOMAIN_ID,
    description: 'Bootstrap project for the cloud administrator',
  })
  const user = await identity.createUser(ctx, {
    name: 'admin',
    domainId: DEFAULT_DOMAIN_ID,
    password,
    defaultProjectId: project.id,
  })
  const admin = (await identity.listRoles(ctx, { name: 'admin' })).items[0]
  if (!admin) throw new Error('the admin role is missing: the Identity defaults were not created')
  await identity.grantRole(ctx, { roleId: admin.id, userId: user.id, projectId: project.id })
  await identity.grantRole(ctx, { roleId: admin.id, userId: user.id, system: 'all' })
  return { user: 'admin', project: 'admin', domain: 'Default', userId: user.id, projectId: project.id }
}

function adminCredentials(authUrl: string, password: string): AdminCredentials {
  return {
    authUrl,
    username: 'admin',
    password,
    projectName: 'admin',
    userDomainName: 'Default',
    projectDomainName: 'Default',
    regionName: 'RegionOne',
  }
}
