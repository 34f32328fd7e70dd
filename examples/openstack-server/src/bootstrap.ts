import { randomBytes } from 'node:crypto'
import { hash } from '@node-rs/argon2'
import type { Cloud } from '@nubis/sdk'
import { type AdminCredentials, authUrlFor, updateAuthUrl, writeCredentialFiles } from './credentials.js'

/** The settings key holding the bootstrap admin until the Identity service turns it into a real user. */
export const BOOTSTRAP_ADMIN_KEY = 'bootstrap.admin'

/** The value stored under {@link BOOTSTRAP_ADMIN_KEY} (JSON). */
export interface BootstrapAdmin {
  user: string
  project: string
  domain: string
  /** argon2id PHC string; the password itself is kept only in the 0600 credential files. */
  passwordHash: string
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
 * Creates the bootstrap admin on the first start of a data dir and writes admin-openrc.sh and clouds.yaml.
 * On later starts it only updates the auth URL in those files: the password is never shown or written again.
 *
 * The record is a placeholder in `settings`: when the Identity service arrives it creates the real `admin`
 * user, the `admin` project and the `Default` domain from it, reusing the hash so the password stays valid.
 */
export async function bootstrapAdmin(cloud: Cloud, options: BootstrapOptions): Promise<BootstrapResult> {
  const authUrl = authUrlFor(options.host, options.port)
  if ((await cloud.settings.get(BOOTSTRAP_ADMIN_KEY)) === undefined) {
    const password = options.password ?? generatePassword()
    // @node-rs/argon2 hashes with argon2id by default (its Algorithm enum is const, so it is not spelled here).
    const record: BootstrapAdmin = {
      user: 'admin',
      project: 'admin',
      domain: 'Default',
      passwordHash: await hash(password),
    }
    // setIfAbsent: two processes starting on one store at once agree on a single admin.
    if (await cloud.settings.setIfAbsent(BOOTSTRAP_ADMIN_KEY, JSON.stringify(record))) {
      await writeCredentialFiles(options.dataDir, adminCredentials(authUrl, password))
      return { created: true, password, generated: options.password === undefined }
    }
  }
  const missingFiles = await updateAuthUrl(options.dataDir, authUrl)
  return { created: false, missingFiles, passwordIgnored: options.password !== undefined }
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
