import { ByteView } from './bytes.js'
import { sniffIso, sniffVdi, sniffVhdHead, sniffVhdTail } from './fixed-headers.js'
import { sniffQcow2 } from './qcow2.js'
import { HEAD_BYTES, type Inspection, inspection, type Sniffer, TAIL_BYTES } from './types.js'
import { sniffVhdx, VhdxMetadataReader } from './vhdx.js'
import { sniffVmdk } from './vmdk.js'

// The Image service streams uploads of many GiB, so the inspector keeps only what headers need: the first MiB,
// the last 512 bytes (a fixed VHD's footer) and a few captured VHDX metadata bytes. Nothing is judged until the
// stream ends, because a fixed VHD is only recognisable by its last sector; judging from those three buffers
// also makes the answer the same however the stream was split into chunks.
//
// Sniffers run in a fixed order. The formats with a magic at offset 0 exclude each other and come first, as they
// are what qemu probes; VDI (magic at 0x40), a trailing VHD footer and ISO (identifier at 0x8001) can coexist
// with them in crafted data, so they only count when nothing at offset 0 matched.

const SNIFFERS: readonly Sniffer[] = [
  sniffQcow2,
  sniffVmdk,
  sniffVhdx,
  sniffVhdHead,
  sniffVdi,
  sniffVhdTail,
  sniffIso,
]
/** First allocation of the head buffer; it doubles up to {@link HEAD_BYTES}, so small streams stay small. */
const INITIAL_HEAD_BYTES = 64 * 1024

/**
 * Works out the disk format of a stream of image data from its bytes, in bounded memory: the label an uploader
 * gives is never trusted. Feed every chunk to {@link FormatInspector.push}, then call
 * {@link FormatInspector.finish}.
 *
 * @example
 * const inspector = new FormatInspector()
 * for await (const chunk of upload) inspector.push(chunk)
 * checkDeclaredFormat(declared, inspector.finish())
 */
export class FormatInspector {
  private head = new Uint8Array(0)
  private headLength = 0
  /** A ring: byte `n` of the stream is at `n % TAIL_BYTES` while it is among the last 512. */
  private readonly tail = new Uint8Array(TAIL_BYTES)
  private total = 0
  private readonly vhdx = new VhdxMetadataReader()

  /** Feeds the next chunk. Keeps at most the first MiB, the last 512 bytes and a few VHDX metadata bytes. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    const at = this.total
    this.appendHead(chunk)
    this.appendTail(chunk, at)
    this.total += chunk.length
    this.vhdx.feed(this.head.subarray(0, this.headLength), chunk, at)
  }

  /** Total bytes seen. */
  get bytes(): number {
    return this.total
  }

  /** After the last chunk: what the data is. Never throws on arbitrary input. */
  finish(): Inspection {
    const sample = {
      head: new ByteView(this.head.subarray(0, this.headLength)),
      tail: new ByteView(this.tailBytes()),
      bytes: this.total,
      vhdx: this.vhdx,
    }
    try {
      for (const sniff of SNIFFERS) {
        const found = sniff(sample)
        if (found) return found
      }
    } catch {
      // Unreachable by design (every read is bounds-checked); should a bug make a sniffer throw, the upload is
      // refused rather than waved through as raw.
      return inspection('raw', this.total, [INSPECTOR_FAILED])
    }
    return inspection('raw', this.total)
  }

  /** Copies the part of `chunk` that still fits the head buffer, growing the buffer by doubling. */
  private appendHead(chunk: Uint8Array): void {
    const take = Math.min(chunk.length, HEAD_BYTES - this.headLength)
    if (take <= 0) return
    const needed = this.headLength + take
    if (needed > this.head.length) {
      let size = Math.max(this.head.length, INITIAL_HEAD_BYTES)
      while (size < needed) size *= 2
      const grown = new Uint8Array(Math.min(size, HEAD_BYTES))
      grown.set(this.head.subarray(0, this.headLength))
      this.head = grown
    }
    this.head.set(chunk.subarray(0, take), this.headLength)
    this.headLength = needed
  }

  /** Writes the last (at most 512) bytes of `chunk`, which starts at stream offset `at`, into the ring. */
  private appendTail(chunk: Uint8Array, at: number): void {
    const keep = Math.min(chunk.length, TAIL_BYTES)
    let offset = at + chunk.length - keep
    let bytes = chunk.subarray(chunk.length - keep)
    while (bytes.length > 0) {
      const slot = offset % TAIL_BYTES
      const n = Math.min(bytes.length, TAIL_BYTES - slot)
      this.tail.set(bytes.subarray(0, n), slot)
      bytes = bytes.subarray(n)
      offset += n
    }
  }

  /** The last min(bytes, 512) bytes in stream order. */
  private tailBytes(): Uint8Array {
    const length = Math.min(this.total, TAIL_BYTES)
    const out = new Uint8Array(length)
    for (let i = 0; i < length; i++) out[i] = this.tail[(this.total - length + i) % TAIL_BYTES] ?? 0
    return out
  }
}

/** The reason given when a sniffer failed unexpectedly; tests assert it never appears. */
export const INSPECTOR_FAILED = 'the inspector could not parse the header'

/** Inspects a whole buffer: {@link FormatInspector} fed one chunk. */
export function inspectBuffer(data: Uint8Array): Inspection {
  const inspector = new FormatInspector()
  inspector.push(data)
  return inspector.finish()
}
