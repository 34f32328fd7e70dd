import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { inspectBuffer } from '../../src/image/formats/index.js'
import { INSPECTOR_FAILED } from '../../src/image/formats/inspector.js'
import {
  inspectChunked,
  isoImage,
  qcow2Header,
  vdiHeader,
  vhdFooter,
  vhdxImage,
  vmdkDescriptor,
  vmdkSparse,
} from './formats-fixtures.js'

// The inspector reads headers an uploader controls, so it is fed arbitrary bytes and mutated real-looking
// headers: it must never throw, never hit its internal-failure fallback, and answer the same for every chunking.

/** Valid headers of every format, as seeds that mutations turn into near-misses. */
const SEEDS: readonly Buffer[] = [
  qcow2Header({ extensions: [[0xe2792aca, Buffer.from('raw')]] }),
  vmdkSparse(vmdkDescriptor()),
  Buffer.from(vmdkDescriptor(['RW 2048 FLAT "x" 0'], 'monolithicFlat')),
  isoImage(100, 2048, { bootRecordFirst: true }),
  vdiHeader(1, 1n << 30n),
  Buffer.concat([vhdFooter(3, 1n << 30n), Buffer.alloc(1024), vhdFooter(3, 1n << 30n)]),
  Buffer.concat([Buffer.alloc(1024), vhdFooter(2, 1024n)]),
  vhdxImage(),
]

/**
 * Edits to a seed: some bytes overwritten (biased to the first KiB, where most fields are) and maybe a cut. Kept
 * as a recipe rather than a buffer, so a failing case prints in a few lines.
 */
const mutation = fc.record({
  seed: fc.integer({ min: 0, max: SEEDS.length - 1 }),
  edits: fc.array(
    fc.tuple(fc.oneof(fc.integer({ min: 0, max: 1023 }), fc.nat()), fc.integer({ min: 0, max: 255 })),
    { maxLength: 6 },
  ),
  cut: fc.option(fc.nat(), { nil: undefined }),
})

/** Applies a {@link mutation} to a copy of its seed. */
function mutate({
  seed,
  edits,
  cut,
}: {
  seed: number
  edits: [number, number][]
  cut: number | undefined
}): Buffer {
  const data = Buffer.from(SEEDS[seed] ?? Buffer.alloc(0))
  for (const [at, byte] of edits) data[at % data.length] = byte
  return cut === undefined ? data : data.subarray(0, cut % (data.length + 1))
}

/**
 * Chunk sizes for one chunking, cycled through until the data ends: a mix of tiny chunks (which land anywhere,
 * splitting every field) and large ones, always at least one large so a 1 MiB image stays quick to feed.
 */
const chunkSizes = fc
  .array(fc.oneof(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 200_000 })), {
    minLength: 1,
    maxLength: 8,
  })
  .map((sizes) => (sizes.some((size) => size > 4096) ? sizes : [...sizes, 65_536]))

/** Runs the property on `data`: no throw, no internal failure, the same answer whole and in chunks. */
function checkData(data: Uint8Array, sizes: readonly number[]): void {
  const whole = inspectBuffer(data)
  expect(whole.unsafe).not.toBe(INSPECTOR_FAILED)
  expect(inspectChunked(data, sizes)).toEqual(whole)
}

describe('format inspector properties', () => {
  it('arbitrary bytes never make it throw, and any chunking gives the same inspection', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), chunkSizes, (data, sizes) => checkData(data, sizes)),
      { numRuns: 300 },
    )
  })

  it('arbitrary bytes behind a known magic never make it throw, and any chunking agrees', () => {
    const magics = [
      'QFI\xfb',
      'KDMV',
      'COWD',
      'vhdxfile',
      'conectix',
      '# Disk DescriptorFile\n',
      'version=1\n',
    ]
    fc.assert(
      fc.property(
        fc.constantFrom(...magics),
        fc.uint8Array({ minLength: 0, maxLength: 8192 }),
        chunkSizes,
        (magic, rest, sizes) => checkData(Buffer.concat([Buffer.from(magic, 'latin1'), rest]), sizes),
      ),
      { numRuns: 300 },
    )
  })

  it('the headers of every format give the same inspection in any chunking', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: SEEDS.length - 1 }), chunkSizes, (seed, sizes) =>
        checkData(SEEDS[seed] ?? Buffer.alloc(0), sizes),
      ),
      { numRuns: 200 },
    )
  })

  it('mutated headers of every format never make it throw, and any chunking agrees', () => {
    fc.assert(
      fc.property(mutation, chunkSizes, (recipe, sizes) => checkData(mutate(recipe), sizes)),
      { numRuns: 200 },
    )
  })
})
