// Every format header is parsed from bytes an uploader controls, so every read here is bounds-checked and answers
// `undefined` past the end instead of throwing: a short or hostile header must read as "not this format" (or as a
// malformed one), never crash the upload. Offsets and lengths that come from the data are u64 values; they are
// kept as bigint until `safeNumber` decides whether they fit a JS number.

/** Bounds-checked little- and big-endian reads from a byte prefix; every read answers `undefined` past the end. */
export class ByteView {
  /** The bytes read, never copied. */
  readonly bytes: Uint8Array
  private readonly view: DataView

  constructor(bytes: Uint8Array) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** Number of bytes available. */
  get length(): number {
    return this.bytes.length
  }

  /** True when `length` bytes from `offset` are all available. */
  has(offset: number, length: number): boolean {
    return Number.isSafeInteger(offset) && offset >= 0 && length >= 0 && offset + length <= this.bytes.length
  }

  /** Unsigned byte. */
  u8(offset: number): number | undefined {
    return this.has(offset, 1) ? this.view.getUint8(offset) : undefined
  }

  /** Unsigned 16-bit little-endian integer. */
  u16le(offset: number): number | undefined {
    return this.has(offset, 2) ? this.view.getUint16(offset, true) : undefined
  }

  /** Unsigned 32-bit little-endian integer. */
  u32le(offset: number): number | undefined {
    return this.has(offset, 4) ? this.view.getUint32(offset, true) : undefined
  }

  /** Unsigned 32-bit big-endian integer. */
  u32be(offset: number): number | undefined {
    return this.has(offset, 4) ? this.view.getUint32(offset, false) : undefined
  }

  /** Unsigned 64-bit little-endian integer, as a bigint: disk sizes and offsets may exceed 2^53. */
  u64le(offset: number): bigint | undefined {
    return this.has(offset, 8) ? this.view.getBigUint64(offset, true) : undefined
  }

  /** Unsigned 64-bit big-endian integer, as a bigint. */
  u64be(offset: number): bigint | undefined {
    return this.has(offset, 8) ? this.view.getBigUint64(offset, false) : undefined
  }

  /** True when the bytes at `offset` spell `text` (compared byte for byte as Latin-1). */
  matches(offset: number, text: string): boolean {
    if (!this.has(offset, text.length)) return false
    for (let i = 0; i < text.length; i++) if (this.bytes[offset + i] !== text.charCodeAt(i)) return false
    return true
  }

  /**
   * A GUID in the canonical upper-case form, as Microsoft stores them: the first three fields little-endian,
   * the last eight bytes in order (VHDX region and metadata ids).
   */
  guid(offset: number): string | undefined {
    if (!this.has(offset, 16)) return undefined
    const hex = (from: number, to: number, reverse: boolean) => {
      const part = Array.from(this.bytes.subarray(offset + from, offset + to), (b) =>
        b.toString(16).padStart(2, '0'),
      )
      return (reverse ? part.reverse() : part).join('').toUpperCase()
    }
    return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)].join(
      '-',
    )
  }

  /** The bytes from `offset` for at most `length` bytes, clamped to what is available; shares memory. */
  slice(offset: number, length: number): Uint8Array {
    const start = Math.min(Math.max(offset, 0), this.bytes.length)
    return this.bytes.subarray(start, Math.min(start + Math.max(length, 0), this.bytes.length))
  }
}

/** `value` as a number when it is a safe integer, else undefined (a size beyond 8 PiB is not reported). */
export function safeNumber(value: bigint | undefined): number | undefined {
  if (value === undefined || value > BigInt(Number.MAX_SAFE_INTEGER)) return undefined
  return Number(value)
}
