import { type ByteView, safeNumber } from './bytes.js'
import { HEAD_BYTES, type Inspection, inspection, type Sample } from './types.js'
import { embeddedDescriptorProblems, parseVmdkDescriptor } from './vmdk-descriptor.js'

// VMDK comes in three shapes qemu will open:
//
// - a hosted sparse extent, magic 'KDMV' (VMware's SparseExtentHeader, little-endian): capacity (u64 sectors)
//   at 12, descriptor offset at 28 and size at 36 (u64 sectors), with the descriptor embedded at sector 1;
// - an ESX 2 sparse extent, magic 'COWD', a vmfsSparse type Glance does not allow;
// - a bare descriptor text file, which names extent files on the host and so is never safe to accept.
//
// qemu reads the embedded descriptor at 0x200 whatever the header says (and up to 20 sectors of it, as a C string),
// and opens the descriptor's extents instead of the image when the capacity is 0, so both are checked here.

const SECTOR = 512
/** qemu's DESC_SIZE: how much of the embedded descriptor it searches for `parentFileNameHint`. */
const QEMU_DESCRIPTOR_BYTES = 20 * SECTOR
/** qemu's probe buffer: how far its text-descriptor probe looks. */
const PROBE_BYTES = 2048
const TEXT_MARKER = '# Disk DescriptorFile'

/** Recognises the three VMDK shapes and says whether qemu would open files other than the image itself. */
export function sniffVmdk({ head }: Sample): Inspection | undefined {
  if (head.matches(0, 'KDMV')) return head.has(0, SECTOR) ? sparse(head) : undefined
  if (head.matches(0, 'COWD'))
    return head.has(0, SECTOR)
      ? inspection('vmdk', undefined, ['vmdk COWD (ESX 2 sparse) extents are not allowed'])
      : undefined
  if (head.matches(0, TEXT_MARKER) || qemuProbesTextDescriptor(head)) {
    const descriptor = parseVmdkDescriptor(descriptorText(head, 0, head.length))
    const sectors = descriptor?.extents.reduce((sum, extent) => sum + extent.sectors, 0)
    const size = sectors === undefined ? undefined : sectors * SECTOR
    return inspection('vmdk', Number.isSafeInteger(size) ? size : undefined, [
      'vmdk descriptor names extent files on the host',
    ])
  }
  return undefined
}

/** A hosted sparse extent: its capacity and the problems of its header and embedded descriptor. */
function sparse(head: ByteView): Inspection {
  const capacity = head.u64le(12) ?? 0n
  const descriptorSector = head.u64le(28) ?? 0n
  const descriptorSectors = safeNumber(head.u64le(36)) ?? 0
  const reasons: string[] = []
  if (descriptorSector !== 1n) reasons.push('vmdk descriptor is not at sector 1')
  if (capacity === 0n)
    reasons.push('vmdk has zero capacity, so qemu would open the extents its descriptor names')
  // The descriptor ends at its first NUL (qemu treats it as a C string) or after the sectors the header gives
  // it, but never before the 20 sectors qemu searches.
  const length = Math.min(Math.max(descriptorSectors * SECTOR, QEMU_DESCRIPTOR_BYTES), HEAD_BYTES - SECTOR)
  reasons.push(...embeddedDescriptorProblems(parseVmdkDescriptor(descriptorText(head, SECTOR, length))))
  return inspection('vmdk', safeNumber(capacity * BigInt(SECTOR)), reasons)
}

/** The text from `offset` up to the first NUL, within `length` bytes; bytes above 0x7f stay visible to the parse. */
function descriptorText(head: ByteView, offset: number, length: number): string {
  const bytes = head.slice(offset, length)
  const nul = bytes.indexOf(0)
  return Buffer.from(nul === -1 ? bytes : bytes.subarray(0, nul)).toString('latin1')
}

/**
 * qemu's vmdk_probe for a text descriptor: comment lines and lines of spaces, then `version=1`, `2` or `3`.
 * Matching it keeps a descriptor that does not start with the usual comment from passing as raw data.
 */
function qemuProbesTextDescriptor(head: ByteView): boolean {
  const bytes = head.slice(0, PROBE_BYTES)
  const end = bytes.length
  const at = (i: number) => String.fromCharCode(bytes[i] ?? 0)
  let p = 0
  while (p < end) {
    if (at(p) === '#') {
      while (p < end && at(p) !== '\n') p++
      p++
      continue
    }
    if (at(p) === ' ') {
      while (p < end && at(p) === ' ') p++
      if (p < end && at(p) === '\r') p++
      if (p === end || at(p) !== '\n') return false
      p++
      continue
    }
    const rest = Buffer.from(bytes.subarray(p, p + 11)).toString('latin1')
    return /^version=[123]\r?\n/.test(rest)
  }
  return false
}
