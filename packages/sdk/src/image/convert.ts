import { createReadStream, createWriteStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { localTransport } from '../transport/local.js'
import { DataDigest } from './digest.js'
import type { DetectedFormat, DiskFormat } from './formats/index.js'
import { verify } from './ingest.js'

/** Formats qemu-img can turn into raw, by qemu's own names for them. */
const QEMU_NAMES: Partial<Record<DetectedFormat, string>> = {
  qcow2: 'qcow2',
  vmdk: 'vmdk',
  vhd: 'vpc',
  vhdx: 'vhdx',
  vdi: 'vdi',
}

/** True when data of this format would be converted for a store that prefers raw. */
export function needsConversion(format: DetectedFormat): boolean {
  return QEMU_NAMES[format] !== undefined
}

/** A converted image in a scratch directory; `cleanup` removes it. */
export interface Converted {
  /** The raw data, readable once. */
  open(): AsyncIterable<Uint8Array>
  cleanup(): Promise<void>
}

/** Options of {@link convertToRaw}. */
export interface ConvertOptions {
  declared: DiskFormat
  workDir?: string
  qemuImg: string
  maxBytes: number
  signal?: AbortSignal
}

/**
 * Converts an image to raw with `qemu-img convert`, which needs files: the data goes to a scratch file first, and
 * is inspected on the way, so nothing unsafe (a qcow2 naming a backing file) ever reaches qemu-img. The source format
 * is always given with `-f`, never probed by qemu.
 */
export async function convertToRaw(
  source: AsyncIterable<Uint8Array>,
  options: ConvertOptions,
): Promise<Converted> {
  const dir = await mkdtemp(join(options.workDir ?? tmpdir(), 'nubis-convert-'))
  const cleanup = () => rm(dir, { recursive: true, force: true })
  try {
    const input = join(dir, 'input')
    const output = join(dir, 'output.raw')
    const digest = new DataDigest()
    await pipeline(
      Readable.from(digest.tap(source, options.maxBytes, options.signal)),
      createWriteStream(input, { mode: 0o600 }),
      {
        signal: options.signal,
      },
    )
    const facts = await digest.facts()
    verify(facts, { declared: options.declared })
    const qemuName = QEMU_NAMES[facts.inspection.format] ?? 'raw'
    await localTransport().exec(
      [options.qemuImg, 'convert', '-q', '-f', qemuName, '-O', 'raw', input, output],
      {
        signal: options.signal,
      },
    )
    await rm(input, { force: true })
    return { open: () => createReadStream(output, { highWaterMark: 1 << 20 }), cleanup }
  } catch (error) {
    await cleanup()
    throw error
  }
}
