import { type ByteView, safeNumber } from './bytes.js'
import { type Inspection, inspection, type Sample } from './types.js'

// The formats whose whole story is one fixed-layout header read at known offsets: VHD, VDI and ISO 9660. None
// needs more than the head buffer and the last 512 bytes.

// VHD (Microsoft's Virtual Hard Disk Image Format Specification): a 512-byte footer, big-endian, starting with
// the cookie 'conectix':
//
//   48  current size: virtual bytes (u64)
//   60  disk type (u32): 2 fixed, 3 dynamic, 4 differencing
//
// A fixed disk is the raw data followed by the footer, so it is only found at the end of the stream; dynamic and
// differencing disks also copy the footer to offset 0, and qemu reads that copy first. A differencing disk names
// its parent image by path in its parent locators, which qemu would open on the host.

const VHD_COOKIE = 'conectix'
const VHD_FOOTER_BYTES = 512
const VHD_FIXED = 2
const VHD_DYNAMIC = 3
const VHD_DIFFERENCING = 4

/** Recognises a VHD by the footer copy at offset 0 (dynamic and differencing disks). */
export function sniffVhdHead({ head, tail, bytes }: Sample): Inspection | undefined {
  if (!head.matches(0, VHD_COOKIE) || !head.has(0, VHD_FOOTER_BYTES)) return undefined
  // The trailing footer is checked too: a parent named only there must not slip past.
  const footers = isFooter(tail) && bytes > VHD_FOOTER_BYTES ? [head, tail] : [head]
  return footerInspection(head, footers)
}

/** Recognises a VHD by the footer in the last 512 bytes (fixed disks). */
export function sniffVhdTail({ tail }: Sample): Inspection | undefined {
  return isFooter(tail) ? footerInspection(tail, [tail]) : undefined
}

/** True when `view` is a whole footer (the tail keeps exactly 512 bytes once the stream is that long). */
function isFooter(view: ByteView): boolean {
  return view.length === VHD_FOOTER_BYTES && view.matches(0, VHD_COOKIE)
}

/** The size from `main`, and the problems of every footer in `footers`. */
function footerInspection(main: ByteView, footers: readonly ByteView[]): Inspection {
  const reasons: string[] = []
  for (const footer of footers) {
    const type = footer.u32be(60)
    if (type === VHD_DIFFERENCING) reasons.push('vhd is a differencing disk')
    else if (type !== VHD_FIXED && type !== VHD_DYNAMIC)
      reasons.push(`vhd disk type ${type} is not supported`)
  }
  return inspection('vhd', safeNumber(main.u64be(48)), reasons)
}

// VDI (VirtualBox): a 64-byte text banner, then a little-endian header. qemu's vdi driver reads version 1.1:
//
//   0x40  signature (u32) 0xbeda107f      0x4c  image type (u32): 1 normal (dynamic), 2 fixed, 3 undo, 4 diff
//   0x44  version (u32)                  0x170  disk size: virtual bytes (u64)
//
// Undo and differencing images need a parent image; qemu refuses them today, and they are refused here too so a
// change in qemu cannot turn them into a way to reach another image.

const VDI_SIGNATURE = 0xbeda107f
const VDI_SIGNATURE_OFFSET = 0x40
const VDI_IMAGE_TYPE_OFFSET = 0x4c
const VDI_SIZE_OFFSET = 0x170
const VDI_NORMAL = 1
const VDI_FIXED = 2
const VDI_UNDO = 3
const VDI_DIFFERENCING = 4

/** Recognises a VDI image by its signature and reads its virtual size. */
export function sniffVdi({ head }: Sample): Inspection | undefined {
  if (head.u32le(VDI_SIGNATURE_OFFSET) !== VDI_SIGNATURE || !head.has(VDI_SIZE_OFFSET, 8)) return undefined
  const type = head.u32le(VDI_IMAGE_TYPE_OFFSET)
  const reasons: string[] = []
  if (type === VDI_UNDO || type === VDI_DIFFERENCING) reasons.push('vdi is a differencing image')
  else if (type !== VDI_NORMAL && type !== VDI_FIXED) reasons.push(`vdi image type ${type} is not supported`)
  return inspection('vdi', safeNumber(head.u64le(VDI_SIZE_OFFSET)), reasons)
}

// ISO 9660 (ECMA-119): 16 sectors of 2048 bytes of system area (free for a boot loader, or an MBR on hybrid
// images), then the volume descriptor set, each descriptor a sector starting with its type (1 = primary) and the
// identifier 'CD001'. Tools look for that identifier in sectors 16, 17 and 18 (0x8001, 0x8801, 0x9001), since
// a boot record may come before the primary descriptor. The primary descriptor gives the size, both-endian:
//
//   80  volume space size in logical blocks (u32 little-endian half)
//  128  logical block size (u16 little-endian half)
//
// An ISO is a raw byte image to qemu: it names no other file, so it is never unsafe.

const ISO_SECTOR = 2048
const FIRST_DESCRIPTOR_SECTOR = 16
const SECTORS_CHECKED = 3
const ISO_PRIMARY = 1
const ISO_IDENTIFIER = 'CD001'

/** Recognises an ISO 9660 image and reads its size from the primary volume descriptor. */
export function sniffIso({ head }: Sample): Inspection | undefined {
  let found = false
  let size: number | undefined
  for (let i = 0; i < SECTORS_CHECKED; i++) {
    const base = (FIRST_DESCRIPTOR_SECTOR + i) * ISO_SECTOR
    if (!head.matches(base + 1, ISO_IDENTIFIER)) continue
    found = true
    if (size !== undefined || head.u8(base) !== ISO_PRIMARY) continue
    const blocks = head.u32le(base + 80)
    const blockSize = head.u16le(base + 128)
    if (blocks !== undefined && blockSize !== undefined) size = blocks * blockSize
  }
  return found ? inspection('iso', size) : undefined
}
