import { CloudError } from '../../core/errors.js'
import type { DetectedFormat, Inspection } from './types.js'

// Glance stores an image under the disk_format its uploader declares, and compute later hands the data to qemu
// under that format. The check below refuses every upload whose bytes disagree with the label, because the
// classic attack is the mismatch itself: a qcow2 uploaded as "raw" is served raw to a guest that can then write
// a qcow2 header naming a host file, or is probed as qcow2 by a tool that does not pass the format.

/** Glance's disk_format values. */
export const DISK_FORMATS = [
  'ami',
  'ari',
  'aki',
  'vhd',
  'vhdx',
  'vmdk',
  'raw',
  'qcow2',
  'vdi',
  'iso',
  'ploop',
] as const

/** One of {@link DISK_FORMATS}. */
export type DiskFormat = (typeof DISK_FORMATS)[number]

/** Declared formats the inspector recognises, which the data must then be in. */
const INSPECTED: ReadonlySet<string> = new Set<DetectedFormat>(['qcow2', 'vmdk', 'vhd', 'vhdx', 'vdi', 'iso'])

/** Formats with headers of their own, which a raw-like label (raw, ami, ari, aki, ploop) must never carry. */
const CONTAINERS: ReadonlySet<DetectedFormat> = new Set<DetectedFormat>([
  'qcow2',
  'vmdk',
  'vhd',
  'vhdx',
  'vdi',
])

/**
 * Throws CloudError('INVALID', …, { details: { declared, detected, reason } }) when the data cannot be stored under
 * the declared disk format: any `unsafe` inspection; declared qcow2/vmdk/vhd/vhdx/vdi/iso but detected something
 * else; declared raw/ami/ari/aki/ploop but detected qcow2/vmdk/vhd/vhdx/vdi (a raw label on a qcow2 is the classic
 * attack). raw declared with iso data is fine (an ISO is a raw byte image).
 *
 * @example
 * checkDeclaredFormat('raw', inspectBuffer(data)) // throws INVALID when `data` is a qcow2 image
 */
export function checkDeclaredFormat(declared: DiskFormat, found: Inspection): void {
  const detected = found.format
  const refuse = (message: string, reason: string): never => {
    throw new CloudError('INVALID', message, { details: { declared, detected, reason } })
  }
  // The label reaches the service from the API; an unknown one is refused here rather than treated as raw.
  if (!(DISK_FORMATS as readonly string[]).includes(declared))
    refuse(`Unknown disk_format ${JSON.stringify(String(declared).slice(0, 64))}`, 'unknown disk format')
  if (found.unsafe) refuse(`Image data declared as ${declared} is unsafe: ${found.unsafe}`, found.unsafe)
  if (INSPECTED.has(declared) && detected !== declared)
    refuse(
      `Image data declared as ${declared} is ${detected === 'raw' ? 'not in any recognised format' : detected}`,
      `the data is not ${declared}`,
    )
  if (!INSPECTED.has(declared) && CONTAINERS.has(detected))
    refuse(
      `Image data declared as ${declared} is a ${detected} image`,
      `a ${declared} image must not hold a ${detected} image`,
    )
}
