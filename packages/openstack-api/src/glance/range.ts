import { CloudError } from '@nubis/sdk'

// The `Range` header of a download, read as Glance reads it (webob's `Range.parse`, then Glance's checks): one
// range only, `bytes=a-b` (b inclusive), `bytes=a-` or `bytes=-n` (the last n bytes; the whole image when n is
// not smaller than it). A range starting past the end is 416.

/** The part of an image a download returns. */
export interface ResolvedRange {
  /** First byte. */
  offset: number
  /** Bytes returned. */
  length: number
}

const RANGE = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i

/** A 416 with Glance's words; the download route answers it with `Content-Range: bytes *\/<size>`. */
export class RangeNotSatisfiable extends Error {
  /** The status fastify and `toApiError` read. */
  readonly statusCode = 416
  constructor(
    message: string,
    /** Size of the whole image, for `Content-Range`. */
    readonly size: number,
  ) {
    super(message)
    this.name = 'RangeNotSatisfiable'
  }
}

/**
 * The range `header` asks of an image of `size` bytes, or undefined for a whole-image download (no header).
 *
 * @throws CloudError INVALID for several ranges; {@link RangeNotSatisfiable} for a malformed or unsatisfiable one.
 */
export function resolveRange(header: string | undefined, size: number): ResolvedRange | undefined {
  if (header === undefined) return undefined
  if (header.includes(',')) {
    throw new CloudError(
      'INVALID',
      'Requests with multiple ranges are not supported in Glance. You may make multiple single-range requests instead.',
    )
  }
  const match = RANGE.exec(header)
  const [, first = '', last = ''] = match ?? []
  if (!match || (first === '' && last === '')) throw new RangeNotSatisfiable('Invalid Range header.', size)
  if (first === '') {
    if (size === 0) throw new RangeNotSatisfiable('Invalid Range header.', size)
    const suffix = Number(last)
    const offset = suffix > 0 && suffix < size ? size - suffix : 0
    return { offset, length: size - offset }
  }
  const offset = Number(first)
  if (last !== '' && Number(last) < offset) throw new RangeNotSatisfiable('Invalid Range header.', size)
  if (offset >= size) {
    throw new RangeNotSatisfiable(
      `Invalid start position in Range header. Start position MUST be in the inclusive range [0, ${size - 1}].`,
      size,
    )
  }
  const end = last === '' ? size : Math.min(Number(last) + 1, size)
  return { offset, length: end - offset }
}
