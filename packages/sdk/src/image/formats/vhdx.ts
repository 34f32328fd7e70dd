import { ByteView, safeNumber } from './bytes.js'
import { type Inspection, inspection, type Sample } from './types.js'

// VHDX (Microsoft's VHDX Format Specification), little-endian. The first MiB is the header section: the file
// identifier 'vhdxfile' at 0, two headers, and the region table at 192 KiB, whose entries (GUID, file offset u64,
// length u32, required u32; 32 bytes from +16) locate the regions, which the spec puts at 1 MiB or beyond:
//
//   metadata region   +0  'metadata', entry count (u16) at +10, entries from +32: item GUID, offset (u32, from
//                         the region start, at least 64 KiB), length (u32)
//   items             File Parameters: flags (u32) at +4, bit 1 = has a parent; Virtual Disk Size: u64;
//                     Parent Locator: present only in a differencing disk, which names its parent by path.
//
// qemu-img puts the metadata region at 3 MiB, past the head buffer, so the metadata table (64 KiB) and the two
// small items are captured as they stream past. Each capture is opened from data that precedes it in the file
// (the table from the region table, the items from the table), which keeps the result the same for any chunking.

const IDENTIFIER = 'vhdxfile'
const REGION_TABLE = 0x30000
/** Head bytes needed before the region table can be read: its end. */
const REGION_TABLE_END = 0x40000
const MAX_ENTRIES = 2047
const MIN_REGION_OFFSET = 1 << 20
const TABLE_BYTES = 0x10000
const METADATA_REGION = '8B7CA206-4790-4B9A-B8FE-575F050F886E'
const FILE_PARAMETERS = 'CAA16737-FA36-4D43-B3B6-33F0AA44E76B'
const VIRTUAL_DISK_SIZE = '2FA54224-CD1B-4876-B211-5DBED83BF4B8'
const PARENT_LOCATOR = 'A8D35F2D-B30B-454D-ABF7-D3D84834AB0C'
const HAS_PARENT = 2

// A region of the stream that lies beyond the head buffer (a VHDX metadata table sits at 3 MiB in qemu's layout)
// is copied as its bytes stream past, so the inspector never holds more than the few bytes it asked for.
//
// A capture only works for a region that starts at or after the chunk being processed when it is opened (bytes
// already gone cannot be fetched again), or inside the head buffer. Callers keep that true by opening captures
// from data that precedes them in the file; anything else leaves the capture incomplete, the same for every
// chunking of the stream, because `feed` refuses to skip a gap.

/** A fixed byte range of a stream, filled in as chunks go past. */
class Capture {
  /** The captured bytes; only meaningful once {@link Capture.complete}. */
  readonly data: Uint8Array
  /** Where the range starts in the stream. */
  readonly offset: number
  /** Stream position up to which `data` is filled, contiguously from `offset`. */
  private filled: number
  /** Set when a chunk started past `filled`: the bytes in between were never seen, so the range cannot complete. */
  private broken = false

  constructor(offset: number, length: number) {
    this.offset = offset
    this.filled = offset
    this.data = new Uint8Array(length)
  }

  /** Stream offset just past the range. */
  get end(): number {
    return this.offset + this.data.length
  }

  /** True when every byte of the range has been seen. */
  get complete(): boolean {
    return !this.broken && this.filled === this.end
  }

  /** Copies whatever part of the range `bytes` (which starts at stream offset `at`) holds; repeats are no-ops. */
  feed(bytes: Uint8Array, at: number): void {
    if (this.broken || this.filled === this.end) return
    if (at > this.filled) {
      // The bytes between `filled` and `at` went past before this capture existed.
      this.broken = true
      return
    }
    const from = this.filled
    const to = Math.min(this.end, at + bytes.length)
    if (to <= from) return
    this.data.set(bytes.subarray(from - at, to - at), from - this.offset)
    this.filled = to
  }
}

/** Opens a capture and feeds it the head buffer and the current chunk, so nothing already seen is missed. */
function openCapture(
  offset: number,
  length: number,
  head: Uint8Array,
  chunk: Uint8Array,
  at: number,
): Capture {
  const capture = new Capture(offset, length)
  capture.feed(head, 0)
  capture.feed(chunk, at)
  return capture
}

/** Follows a VHDX stream from its region table to the metadata items, keeping only the bytes it needs. */
export class VhdxMetadataReader {
  private state: 'waiting' | 'reading' | 'done' = 'waiting'
  private problem: string | undefined
  private region = { offset: 0, length: 0 }
  private table: Capture | undefined
  private parameters: Capture | undefined
  private size: Capture | undefined
  private namesParent = false

  /** Called after every chunk, once it is in the head buffer (`head`, the stream's first bytes so far). */
  feed(head: Uint8Array, chunk: Uint8Array, at: number): void {
    if (this.state === 'done') return
    if (this.state === 'waiting') {
      if (head.length < REGION_TABLE_END) return
      const view = new ByteView(head)
      this.state = view.matches(0, IDENTIFIER) ? 'reading' : 'done'
      if (this.state === 'reading') this.readRegionTable(view, chunk, at)
    }
    for (const capture of [this.table, this.parameters, this.size]) capture?.feed(chunk, at)
    if (this.table?.complete && !this.parameters && !this.problem) this.readMetadataTable(head, chunk, at)
    if (this.problem || (this.parameters?.complete && this.size?.complete)) this.state = 'done'
  }

  /** The virtual size and problems found; call once the stream has ended. */
  result(): { virtualSize?: number; reasons: string[] } {
    if (this.problem) return { reasons: [this.problem] }
    if (!this.parameters?.complete || !this.size?.complete)
      return { reasons: ['vhdx metadata could not be read before the data ended'] }
    const reasons: string[] = []
    const flags = new ByteView(this.parameters.data).u32le(4) ?? 0
    if (this.namesParent || flags & HAS_PARENT) reasons.push('vhdx is a differencing disk')
    const virtualSize = safeNumber(new ByteView(this.size.data).u64le(0))
    return { ...(virtualSize !== undefined && { virtualSize }), reasons }
  }

  /** Finds the metadata region and starts capturing its table. */
  private readRegionTable(head: ByteView, chunk: Uint8Array, at: number): void {
    const count = head.u32le(REGION_TABLE + 8) ?? 0
    if (!head.matches(REGION_TABLE, 'regi') || count > MAX_ENTRIES) {
      this.problem = 'vhdx region table is malformed'
      return
    }
    for (let i = 0; i < count; i++) {
      const entry = REGION_TABLE + 16 + i * 32
      if (head.guid(entry) !== METADATA_REGION) continue
      const offset = safeNumber(head.u64le(entry + 16)) ?? 0
      const length = head.u32le(entry + 24) ?? 0
      // Before 1 MiB the region would overlap the header section (and could precede the data already seen).
      if (offset < MIN_REGION_OFFSET || length < TABLE_BYTES) break
      this.region = { offset, length }
      this.table = openCapture(offset, TABLE_BYTES, head.bytes, chunk, at)
      return
    }
    this.problem = 'vhdx has no usable metadata region'
  }

  /** Notes a parent locator and starts capturing the file parameters and virtual size items. */
  private readMetadataTable(head: Uint8Array, chunk: Uint8Array, at: number): void {
    const table = new ByteView(this.table?.data ?? new Uint8Array(0))
    const count = table.u16le(10) ?? 0
    if (!table.matches(0, 'metadata') || count > MAX_ENTRIES) {
      this.problem = 'vhdx metadata table is malformed'
      return
    }
    for (let i = 0; i < count; i++) {
      const entry = 32 + i * 32
      const id = table.guid(entry)
      if (id === PARENT_LOCATOR) this.namesParent = true
      if (id !== FILE_PARAMETERS && id !== VIRTUAL_DISK_SIZE) continue
      const offset = table.u32le(entry + 16) ?? 0
      const length = table.u32le(entry + 20) ?? 0
      // Items start past the table, so they are still ahead in the stream when the table completes.
      if (offset < TABLE_BYTES || length < 8 || offset + 8 > this.region.length) {
        this.problem = 'vhdx metadata item is malformed'
        return
      }
      const item = openCapture(this.region.offset + offset, 8, head, chunk, at)
      if (id === FILE_PARAMETERS) this.parameters = item
      else this.size = item
    }
    if (!this.parameters || !this.size) this.problem = 'vhdx metadata lacks its required items'
  }
}

/** Recognises a VHDX image; its size and parent come from the metadata the reader captured. */
export function sniffVhdx({ head, vhdx }: Sample): Inspection | undefined {
  if (!head.matches(0, IDENTIFIER) || !head.has(0, REGION_TABLE_END)) return undefined
  const { virtualSize, reasons } = vhdx.result()
  return inspection('vhdx', virtualSize, reasons)
}
