import { createHash } from 'node:crypto'
import { CloudError } from '../core/errors.js'

/** The host key settings of an SSH transport (see `SshTransportOptions`). */
export interface HostKeyOptions {
  /** Host name, for messages. */
  host: string
  /** Trusted keys: `SHA256:…` fingerprints or OpenSSH public key lines. */
  hostKey?: string | readonly string[]
  /** Custom decision on the raw host key blob. */
  hostVerifier?: (key: Buffer) => boolean
  /** Explicit opt-out of host key checking. */
  insecureSkipHostKeyCheck?: boolean
}

/**
 * The SHA-256 fingerprint of an SSH public key as `ssh-keygen -l` prints it (`SHA256:` + unpadded base64),
 * from the raw key blob or an OpenSSH public key line (`ssh-ed25519 AAAA… comment`).
 */
export function sshFingerprint(key: Buffer | string): string {
  const blob = typeof key === 'string' ? Buffer.from(key.trim().split(/\s+/)[1] ?? '', 'base64') : key
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`
}

/**
 * Builds the host key check: true for a pinned key or one the verifier accepts. Throws `INVALID` for a
 * configuration that would trust any key without saying so; returns undefined only for the explicit opt-out.
 */
export function hostKeyVerifier(options: HostKeyOptions): ((key: Buffer) => boolean) | undefined {
  const pinned = options.hostKey === undefined ? [] : [options.hostKey].flat()
  if (pinned.length === 0 && !options.hostVerifier) {
    if (options.insecureSkipHostKeyCheck === true) return undefined
    throw new CloudError(
      'INVALID',
      `SSH to ${options.host}: pass hostKey (fingerprint or public key) or hostVerifier, or insecureSkipHostKeyCheck: true`,
    )
  }
  const fingerprints = new Set(pinned.map((key) => (key.startsWith('SHA256:') ? key : sshFingerprint(key))))
  return (key) => fingerprints.has(sshFingerprint(key)) || options.hostVerifier?.(key) === true
}
