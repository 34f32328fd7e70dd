import { type Inspection, inspection, type Sample } from './types.js'

// ISO 9660 (ECMA-119): 16 sectors of 2048 bytes of system area (free for a boot loader, or an MBR on hybrid
// images), then the volume descriptor set, each descriptor a sector starting with its type (1 = primary) and the
// identifier 'CD001'. Tools look for that identifier in sectors 16, 17 and 18 (0x8001, 0x8801, 0x9001), since
// a boot record may come before the primary descriptor. The primary descriptor gives the size, both-endian:
//
//   80  volume space size in logical blocks (u32 little-endian half)
//  128  logical block size (u16 little-endian half)
//
// An ISO is a raw byte image to qemu: it names no other file, so it is never unsafe.

const SECTOR = 2048
const FIRST_DESCRIPTOR_SECTOR = 16
const SECTORS_CHECKED = 3
const PRIMARY = 1
const IDENTIFIER = 'CD001'

/** Recognises an ISO 9660 image and reads its size from the primary volume descriptor. */
export function sniffIso({ head }: Sample): Inspection | undefined {
  let found = false
  let size: number | undefined
  for (let i = 0; i < SECTORS_CHECKED; i++) {
    const base = (FIRST_DESCRIPTOR_SECTOR + i) * SECTOR
    if (!head.matches(base + 1, IDENTIFIER)) continue
    found = true
    if (size !== undefined || head.u8(base) !== PRIMARY) continue
    const blocks = head.u32le(base + 80)
    const blockSize = head.u16le(base + 128)
    if (blocks !== undefined && blockSize !== undefined) size = blocks * blockSize
  }
  return found ? inspection('iso', size) : undefined
}
