import type { ByteView } from './bytes.js'
import type { VhdxMetadataReader } from './vhdx.js'

/** Formats the inspector can recognise. 'raw' = nothing else matched. */
export type DetectedFormat = 'raw' | 'qcow2' | 'vmdk' | 'vhd' | 'vhdx' | 'iso' | 'vdi'

/** What {@link FormatInspector.finish} found out about a stream of image data. */
export interface Inspection {
  /** The format the data is in, judged from the bytes alone. */
  format: DetectedFormat
  /**
   * Virtual disk size in bytes when the header tells it (qcow2, vmdk, vhd, vdi, iso, vhdx when its metadata
   * could be read); raw: total bytes.
   */
  virtualSize?: number
  /**
   * Why the image is unsafe to hand to qemu, when it is: e.g. 'qcow2 names a backing file', 'qcow2 uses an
   * external data file', 'vmdk descriptor names extent files', 'vmdk createType X is not allowed', 'vhd is a
   * differencing disk'. Several reasons are joined with '; '.
   */
  unsafe?: string
}

/** Longest prefix of the stream kept for header parsing: ISO descriptors end by 38 KiB, qcow2 extensions may not. */
export const HEAD_BYTES = 1 << 20

/** Bytes kept from the end of the stream: a fixed VHD's footer. */
export const TAIL_BYTES = 512

/** What every format's sniffer sees once the stream has ended. */
export interface Sample {
  /** The first min(bytes, {@link HEAD_BYTES}) bytes. */
  readonly head: ByteView
  /** The last min(bytes, {@link TAIL_BYTES}) bytes. */
  readonly tail: ByteView
  /** Total bytes in the stream. */
  readonly bytes: number
  /** What was captured of a VHDX metadata region, which lies beyond the head. */
  readonly vhdx: VhdxMetadataReader
}

/** Recognises one format: its inspection, or undefined when the data is not (a complete header of) that format. */
export type Sniffer = (sample: Sample) => Inspection | undefined

/** Builds an inspection, leaving out the fields that are unknown and joining every unsafe reason. */
export function inspection(
  format: DetectedFormat,
  virtualSize: number | undefined,
  reasons: Iterable<string> = [],
): Inspection {
  const unsafe = [...new Set(reasons)].join('; ')
  return {
    format,
    ...(virtualSize !== undefined && { virtualSize }),
    ...(unsafe && { unsafe }),
  }
}
