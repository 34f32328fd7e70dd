import { type DetectedFormat, inspectBuffer } from './formats/index.js'

/** Bytes enough to recognise every format's header (an ISO's descriptor sits at 32 KiB). */
const PEEK_BYTES = 64 * 1024

/**
 * Reads the first bytes of `source` to tell its format, and gives back a stream of the whole data, those bytes
 * included, so the decision costs no second read.
 */
export async function peekFormat(
  source: AsyncIterable<Uint8Array>,
): Promise<{ format: DetectedFormat; stream: AsyncIterable<Uint8Array> }> {
  const iterator = source[Symbol.asyncIterator]()
  const head: Uint8Array[] = []
  let bytes = 0
  let ended = false
  while (bytes < PEEK_BYTES) {
    const next = await iterator.next()
    if (next.done) {
      ended = true
      break
    }
    head.push(next.value)
    bytes += next.value.byteLength
  }
  const { format } = inspectBuffer(Buffer.concat(head))
  const stream = (async function* () {
    yield* head
    if (ended) return
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value
  })()
  return { format, stream }
}
