import { safeNumber } from './bytes.js'
import { HEAD_BYTES, type Inspection, inspection, type Sample } from './types.js'

// QCOW2 (docs/interop/qcow2.txt in the QEMU tree), every field big-endian:
//
//    0  magic 'QFI\xfb'          20  cluster_bits (u32)          72  incompatible_features (u64, v3)
//    4  version (u32)            24  size: virtual bytes (u64)  100  header_length (u32, v3)
//    8  backing_file_offset (u64)
//
// Header extensions follow the header (at 72 in v2, at header_length in v3) up to the end of the first cluster:
// type (u32), length (u32), data padded to 8 bytes; type 0 ends the list. The old qcow (version 1) shares the
// magic and puts its backing file and size at the same offsets, so it is caught by the same checks.
//
// qemu follows a backing file name or an external data file name wherever it points on the host, which is how
// an upload reads the compute node's files; both make the image unsafe.

const MAGIC = 0x514649fb
const V2_HEADER_BYTES = 72
const V3_MIN_HEADER_BYTES = 104
const MIN_CLUSTER_BITS = 9
const MAX_CLUSTER_BITS = 21
const EXTENSION_END = 0
const EXTENSION_DATA_FILE = 0x44415441
/** Incompatible feature bit 2: the guest data lives in a separate file. */
const INCOMPATIBLE_DATA_FILE = 4n
/** Bits 0-4 (dirty, corrupt, external data file, compression type, extended L2) are known; qemu refuses others. */
const KNOWN_INCOMPATIBLE = 0x1fn

const BACKING_FILE = 'qcow2 names a backing file'
const DATA_FILE = 'qcow2 uses an external data file'

/** Recognises qcow2 (and its version 1 predecessor) and says whether qemu would open files it names. */
export function sniffQcow2({ head, bytes }: Sample): Inspection | undefined {
  if (head.u32be(0) !== MAGIC) return undefined
  const version = head.u32be(4)
  // Shorter than the header: qemu cannot open it either, so it is just bytes.
  if (!head.has(0, version === 3 ? V3_MIN_HEADER_BYTES : V2_HEADER_BYTES)) return undefined
  const reasons: string[] = []
  if (head.u64be(8) !== 0n) reasons.push(BACKING_FILE)
  if (version !== 2 && version !== 3) reasons.push(`qcow2 version ${version} is not supported`)
  if (version === 3) {
    const incompatible = head.u64be(72) ?? 0n
    if (incompatible & INCOMPATIBLE_DATA_FILE) reasons.push(DATA_FILE)
    if (incompatible & ~KNOWN_INCOMPATIBLE) reasons.push('qcow2 uses unknown incompatible features')
  }
  if (version === 2 || version === 3) reasons.push(...extensionProblems({ head, bytes }, version))
  return inspection('qcow2', safeNumber(head.u64be(24)), reasons)
}

/** Walks the header extensions the way qemu does, within the first cluster. */
function extensionProblems({ head, bytes }: Pick<Sample, 'head' | 'bytes'>, version: 2 | 3): string[] {
  const clusterBits = head.u32be(20) ?? 0
  if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS)
    return [`qcow2 cluster_bits ${clusterBits} is out of range`]
  const clusterSize = 2 ** clusterBits
  const headerLength = version === 3 ? (head.u32be(100) ?? 0) : V2_HEADER_BYTES
  if (headerLength < (version === 3 ? V3_MIN_HEADER_BYTES : V2_HEADER_BYTES) || headerLength > clusterSize)
    return [`qcow2 header_length ${headerLength} is out of range`]

  const reasons: string[] = []
  let offset = headerLength
  while (offset + 8 <= clusterSize) {
    if (!head.has(offset, 8)) {
      // Past the end of the stream qemu reads zeros, which end the list. Past the end of a full head buffer
      // (2 MiB clusters) the rest is unknown, and an unknown extension could name a data file.
      if (bytes > head.length) reasons.push(`qcow2 header extensions run past the first ${HEAD_BYTES} bytes`)
      break
    }
    const type = head.u32be(offset)
    const length = head.u32be(offset + 4) ?? 0
    if (type === EXTENSION_END) break
    if (type === EXTENSION_DATA_FILE) reasons.push(DATA_FILE)
    if (length > clusterSize - offset - 8) {
      reasons.push('qcow2 header extension runs past the first cluster')
      break
    }
    offset += 8 + Math.ceil(length / 8) * 8
  }
  return reasons
}
