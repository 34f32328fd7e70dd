import { safeNumber } from './bytes.js'
import { type Inspection, inspection, type Sample } from './types.js'

// VDI (VirtualBox): a 64-byte text banner, then a little-endian header. qemu's vdi driver reads version 1.1:
//
//   0x40  signature (u32) 0xbeda107f      0x4c  image type (u32): 1 normal (dynamic), 2 fixed, 3 undo, 4 diff
//   0x44  version (u32)                  0x170  disk size: virtual bytes (u64)
//
// Undo and differencing images need a parent image; qemu refuses them today, and they are refused here too so a
// change in qemu cannot turn them into a way to reach another image.

const SIGNATURE = 0xbeda107f
const SIGNATURE_OFFSET = 0x40
const IMAGE_TYPE_OFFSET = 0x4c
const SIZE_OFFSET = 0x170
const NORMAL = 1
const FIXED = 2
const UNDO = 3
const DIFFERENCING = 4

/** Recognises a VDI image by its signature and reads its virtual size. */
export function sniffVdi({ head }: Sample): Inspection | undefined {
  if (head.u32le(SIGNATURE_OFFSET) !== SIGNATURE || !head.has(SIZE_OFFSET, 8)) return undefined
  const type = head.u32le(IMAGE_TYPE_OFFSET)
  const reasons: string[] = []
  if (type === UNDO || type === DIFFERENCING) reasons.push('vdi is a differencing image')
  else if (type !== NORMAL && type !== FIXED) reasons.push(`vdi image type ${type} is not supported`)
  return inspection('vdi', safeNumber(head.u64le(SIZE_OFFSET)), reasons)
}
