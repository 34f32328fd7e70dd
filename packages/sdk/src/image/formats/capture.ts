// A region of the stream that lies beyond the head buffer (a VHDX metadata table sits at 3 MiB in qemu's layout)
// is copied as its bytes stream past, so the inspector never holds more than the few bytes it asked for.
//
// A capture only works for a region that starts at or after the chunk being processed when it is opened (bytes
// already gone cannot be fetched again), or inside the head buffer. Callers keep that true by opening captures
// from data that precedes them in the file; anything else leaves the capture incomplete, the same for every
// chunking of the stream, because `feed` refuses to skip a gap.

/** A fixed byte range of a stream, filled in as chunks go past. */
export class Capture {
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
export function openCapture(
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
