import { type ByteView, safeNumber } from './bytes.js'
import { type Inspection, inspection, type Sample } from './types.js'

// VHD (Microsoft's Virtual Hard Disk Image Format Specification): a 512-byte footer, big-endian, starting with
// the cookie 'conectix':
//
//   48  current size: virtual bytes (u64)
//   60  disk type (u32): 2 fixed, 3 dynamic, 4 differencing
//
// A fixed disk is the raw data followed by the footer, so it is only found at the end of the stream; dynamic and
// differencing disks also copy the footer to offset 0, and qemu reads that copy first. A differencing disk names
// its parent image by path in its parent locators, which qemu would open on the host.

const COOKIE = 'conectix'
const FOOTER_BYTES = 512
const FIXED = 2
const DYNAMIC = 3
const DIFFERENCING = 4

/** Recognises a VHD by the footer copy at offset 0 (dynamic and differencing disks). */
export function sniffVhdHead({ head, tail, bytes }: Sample): Inspection | undefined {
  if (!head.matches(0, COOKIE) || !head.has(0, FOOTER_BYTES)) return undefined
  // The trailing footer is checked too: a parent named only there must not slip past.
  const footers = isFooter(tail) && bytes > FOOTER_BYTES ? [head, tail] : [head]
  return footerInspection(head, footers)
}

/** Recognises a VHD by the footer in the last 512 bytes (fixed disks). */
export function sniffVhdTail({ tail }: Sample): Inspection | undefined {
  return isFooter(tail) ? footerInspection(tail, [tail]) : undefined
}

/** True when `view` is a whole footer (the tail keeps exactly 512 bytes once the stream is that long). */
function isFooter(view: ByteView): boolean {
  return view.length === FOOTER_BYTES && view.matches(0, COOKIE)
}

/** The size from `main`, and the problems of every footer in `footers`. */
function footerInspection(main: ByteView, footers: readonly ByteView[]): Inspection {
  const reasons: string[] = []
  for (const footer of footers) {
    const type = footer.u32be(60)
    if (type === DIFFERENCING) reasons.push('vhd is a differencing disk')
    else if (type !== FIXED && type !== DYNAMIC) reasons.push(`vhd disk type ${type} is not supported`)
  }
  return inspection('vhd', safeNumber(main.u64be(48)), reasons)
}
