import { describe, expect, it } from 'vitest'
import { FormatInspector, inspectBuffer } from '../../src/image/formats/index.js'
import {
  inspectChunked,
  isoImage,
  qcow2Header,
  VHDX_IDS,
  vdiHeader,
  vhdFooter,
  vhdxImage,
  vmdkDescriptor,
  vmdkSparse,
} from './formats-fixtures.js'

// Headers built by hand, for what qemu-img cannot make: ISO images, VMDK descriptors naming host files, and
// every malformed or hostile variant the inspector must refuse rather than wave through as raw.

const MiB = 1024 * 1024

describe('raw data', () => {
  it('is raw when nothing matches, with its length as the virtual size', () => {
    expect(inspectBuffer(new Uint8Array(0))).toEqual({ format: 'raw', virtualSize: 0 })
    expect(inspectBuffer(Buffer.from('hello'))).toEqual({ format: 'raw', virtualSize: 5 })
    const inspector = new FormatInspector()
    for (let i = 0; i < 40; i++) inspector.push(new Uint8Array(MiB))
    expect(inspector.bytes).toBe(40 * MiB)
    expect(inspector.finish()).toEqual({ format: 'raw', virtualSize: 40 * MiB })
  })

  it('is raw when a magic is there but the header it starts is cut short', () => {
    expect(inspectBuffer(qcow2Header().subarray(0, 100))).toMatchObject({ format: 'raw' })
    expect(inspectBuffer(vmdkSparse(vmdkDescriptor()).subarray(0, 511))).toMatchObject({ format: 'raw' })
    expect(inspectBuffer(vhdFooter(4, 1n << 20n).subarray(0, 511))).toMatchObject({ format: 'raw' })
    expect(inspectBuffer(vdiHeader(1, 1n << 20n).subarray(0, 0x177))).toMatchObject({ format: 'raw' })
    expect(inspectBuffer(isoImage(16).subarray(0, 0x8005))).toMatchObject({ format: 'raw' })
  })
})

describe('iso', () => {
  it('is found by its primary volume descriptor, sized blocks × block size', () => {
    expect(inspectBuffer(isoImage(1000))).toEqual({ format: 'iso', virtualSize: 1000 * 2048 })
    expect(inspectBuffer(isoImage(4000, 512))).toEqual({ format: 'iso', virtualSize: 4000 * 512 })
  })

  it('is found when a boot record comes first, sized from the primary descriptor after it', () => {
    expect(inspectBuffer(isoImage(700, 2048, { bootRecordFirst: true }))).toEqual({
      format: 'iso',
      virtualSize: 700 * 2048,
    })
  })

  it('gives way to a qcow2 magic at offset 0, which is what qemu would probe', () => {
    const data = isoImage(1000)
    qcow2Header().subarray(0, 512).copy(data)
    expect(inspectBuffer(data)).toEqual({ format: 'qcow2', virtualSize: 1 << 30 })
  })
})

describe('vmdk', () => {
  it('accepts a sparse extent whose descriptor names only itself', () => {
    expect(inspectBuffer(vmdkSparse(vmdkDescriptor()))).toEqual({ format: 'vmdk', virtualSize: 2048 * 512 })
    const stream = vmdkSparse(vmdkDescriptor(['RW 2048 SPARSE "disk.vmdk"'], 'streamOptimized'))
    expect(inspectBuffer(stream)).toEqual({ format: 'vmdk', virtualSize: 2048 * 512 })
  })

  it.each([
    [
      'an extra extent line',
      [vmdkDescriptor(['RW 2048 SPARSE "disk.vmdk"', 'RW 2048 SPARSE "other.vmdk"'])],
      'vmdk descriptor names extent files',
    ],
    [
      'a FLAT extent',
      [vmdkDescriptor(['RW 2048 FLAT "disk-flat.vmdk" 0'])],
      'vmdk FLAT extent is not allowed',
    ],
    ['a VMFS extent', [vmdkDescriptor(['RW 2048 VMFS "disk-flat.vmdk"'])], 'vmdk VMFS extent is not allowed'],
    [
      'an extent with a path',
      [vmdkDescriptor(['RW 2048 SPARSE "/var/lib/x.vmdk"'])],
      'vmdk extent names a path',
    ],
    ['no extent', [vmdkDescriptor([])], 'vmdk descriptor has no extent'],
    [
      'createType monolithicFlat',
      [vmdkDescriptor(undefined, 'monolithicFlat')],
      'vmdk createType monolithicFlat is not allowed',
    ],
    ['no createType', [vmdkDescriptor().replace(/createType.*\n/, '')], 'vmdk descriptor has no createType'],
    [
      'a parent',
      [vmdkDescriptor(undefined, undefined, 'parentFileNameHint="base.vmdk"')],
      'vmdk names a parent file',
    ],
    [
      'a parent hint in a comment',
      [vmdkDescriptor(undefined, undefined, '# parentFileNameHint="/etc/x"')],
      'vmdk names a parent file',
    ],
    [
      'a line of another shape',
      [vmdkDescriptor(undefined, undefined, 'include /etc/passwd')],
      'vmdk descriptor has a line the inspector does not accept',
    ],
    [
      'a non-ASCII byte',
      [vmdkDescriptor(undefined, undefined, 'x="\u00e9"')],
      'vmdk descriptor is not plain ASCII text',
    ],
  ])('refuses a sparse extent whose descriptor has %s', (_, [descriptor], reason) => {
    const found = inspectBuffer(vmdkSparse(descriptor ?? ''))
    expect(found.format).toBe('vmdk')
    expect(found.unsafe?.split('; ')).toContain(reason)
  })

  it('refuses a zero capacity (qemu then opens the descriptor extents) and a descriptor off sector 1', () => {
    expect(inspectBuffer(vmdkSparse(vmdkDescriptor(), { capacitySectors: 0n })).unsafe).toMatch(
      /zero capacity/,
    )
    expect(inspectBuffer(vmdkSparse(vmdkDescriptor(), { descriptorSector: 2n })).unsafe).toBe(
      'vmdk descriptor is not at sector 1',
    )
  })

  it('reads the descriptor only up to its first NUL, as qemu does', () => {
    const data = vmdkSparse(vmdkDescriptor())
    data.write('\0RW 2048 FLAT "/etc/shadow" 0\n', 512 + vmdkDescriptor().length, 'latin1')
    expect(inspectBuffer(data).unsafe).toBeUndefined()
  })

  it('refuses a descriptor-only text file, which points at host files', () => {
    const text = vmdkDescriptor(['RW 2048 FLAT "/etc/shadow" 0'], 'monolithicFlat')
    expect(inspectBuffer(Buffer.from(text))).toEqual({
      format: 'vmdk',
      virtualSize: 2048 * 512,
      unsafe: 'vmdk descriptor names extent files on the host',
    })
    // qemu probes a descriptor by its `version=` line, with or without the usual first comment.
    const bare = Buffer.from('# any comment\n   \nversion=1\nRW 8 FLAT "/etc/shadow" 0\n')
    expect(inspectBuffer(bare)).toMatchObject({ format: 'vmdk', unsafe: expect.stringMatching(/host/) })
    expect(inspectBuffer(Buffer.from('\nversion=1\n'))).toMatchObject({ format: 'raw' })
  })

  it('refuses a COWD (ESX 2) sparse extent', () => {
    const data = Buffer.alloc(512)
    data.write('COWD', 0, 'latin1')
    expect(inspectBuffer(data)).toEqual({
      format: 'vmdk',
      unsafe: 'vmdk COWD (ESX 2 sparse) extents are not allowed',
    })
  })
})

describe('qcow2', () => {
  it('reads the big-endian virtual size of a plain header', () => {
    expect(inspectBuffer(qcow2Header())).toEqual({ format: 'qcow2', virtualSize: 1 << 30 })
  })

  const cases: [string, Parameters<typeof qcow2Header>[0], string][] = [
    ['a backing file offset', { backingOffset: 0x200n }, 'qcow2 names a backing file'],
    ['the external data file bit', { incompatible: 4n }, 'qcow2 uses an external data file'],
    [
      'an external data file extension',
      { extensions: [[0x44415441, Buffer.from('data.raw')]] },
      'qcow2 uses an external data file',
    ],
    [
      'the data file extension after others',
      {
        extensions: [
          [0xe2792aca, Buffer.from('raw')],
          [0x6803f857, Buffer.alloc(48)],
          [0x44415441, Buffer.from('/dev/sda')],
        ],
      },
      'qcow2 uses an external data file',
    ],
    [
      'an unknown incompatible feature',
      { incompatible: 1n << 20n },
      'qcow2 uses unknown incompatible features',
    ],
  ]
  it.each(cases)('refuses %s', (_, options, reason) => {
    expect(inspectBuffer(qcow2Header(options)).unsafe?.split('; ')).toContain(reason)
  })

  it('refuses an extension whose length runs past the first cluster', () => {
    const data = qcow2Header({ extensions: [[0x12345678, Buffer.alloc(8)]] })
    data.writeUInt32BE(70_000, 112 + 4)
    expect(inspectBuffer(data).unsafe).toBe('qcow2 header extension runs past the first cluster')
  })

  it('does not read an extension after the end marker', () => {
    const data = qcow2Header({ extensions: [[0, Buffer.alloc(0)]] })
    data.write('DATA', 112 + 8, 'latin1')
    expect(inspectBuffer(data).unsafe).toBeUndefined()
  })

  it('refuses malformed or unsupported headers rather than calling them raw', () => {
    const v1 = qcow2Header()
    v1.writeUInt32BE(1, 4)
    expect(inspectBuffer(v1)).toMatchObject({ format: 'qcow2', unsafe: 'qcow2 version 1 is not supported' })
    const shortHeader = qcow2Header()
    shortHeader.writeUInt32BE(64, 100)
    expect(inspectBuffer(shortHeader).unsafe).toBe('qcow2 header_length 64 is out of range')
    const hugeClusters = qcow2Header()
    hugeClusters.writeUInt32BE(30, 20)
    expect(inspectBuffer(hugeClusters).unsafe).toBe('qcow2 cluster_bits 30 is out of range')
  })

  it('refuses extensions that run past the head buffer in 2 MiB clusters, but not past the end of the data', () => {
    const data = Buffer.alloc(2 * MiB)
    qcow2Header().copy(data)
    data.writeUInt32BE(21, 20)
    // A chain of harmless extensions filling the first MiB: what follows could name a data file.
    for (let offset = 112; offset + 8 <= MiB; offset += 8 + 65_528) {
      data.writeUInt32BE(0x12345678, offset)
      data.writeUInt32BE(65_528, offset + 4)
    }
    expect(inspectBuffer(data).unsafe).toBe('qcow2 header extensions run past the first 1048576 bytes')
    expect(inspectBuffer(data.subarray(0, MiB)).unsafe).toBeUndefined()
  })
})

describe('vhd', () => {
  it('finds a fixed disk by the footer in its last 512 bytes, in any chunking', () => {
    const data = Buffer.concat([Buffer.alloc(MiB + 3), vhdFooter(2, BigInt(MiB + 3))])
    const expected = { format: 'vhd', virtualSize: MiB + 3 }
    expect(inspectBuffer(data)).toEqual(expected)
    expect(inspectChunked(data, [1000, 1, 511, 7])).toEqual(expected)
  })

  it('refuses a differencing disk and an unknown disk type', () => {
    const head = Buffer.concat([vhdFooter(4, 1n << 20n), Buffer.alloc(4096), vhdFooter(4, 1n << 20n)])
    expect(inspectBuffer(head)).toEqual({
      format: 'vhd',
      virtualSize: MiB,
      unsafe: 'vhd is a differencing disk',
    })
    expect(inspectBuffer(Buffer.concat([Buffer.alloc(4096), vhdFooter(4, 1n << 20n)])).unsafe).toBe(
      'vhd is a differencing disk',
    )
    expect(inspectBuffer(vhdFooter(7, 1n << 20n)).unsafe).toBe('vhd disk type 7 is not supported')
  })
})

describe('vdi', () => {
  it('reads the little-endian virtual size at 0x170', () => {
    expect(inspectBuffer(vdiHeader(1, 5n << 30n))).toEqual({ format: 'vdi', virtualSize: 5 * 2 ** 30 })
    expect(inspectBuffer(vdiHeader(2, 1n << 20n))).toEqual({ format: 'vdi', virtualSize: MiB })
  })

  it('refuses a differencing image', () => {
    expect(inspectBuffer(vdiHeader(4, 1n << 20n)).unsafe).toBe('vdi is a differencing image')
  })
})

describe('vhdx', () => {
  it('reads the virtual size from metadata past the head buffer, in any chunking', () => {
    const data = vhdxImage({ metadataOffset: 2 * MiB, size: 3n << 30n })
    const expected = { format: 'vhdx', virtualSize: 3 * 2 ** 30 }
    expect(inspectBuffer(data)).toEqual(expected)
    expect(inspectChunked(data, [1])).toEqual(expected)
    expect(inspectChunked(data, [65_536 * 3 + 5, 17])).toEqual(expected)
  })

  it('refuses a differencing disk, by its flag or by its parent locator', () => {
    expect(inspectBuffer(vhdxImage({ hasParent: true })).unsafe).toBe('vhdx is a differencing disk')
    const size = Buffer.alloc(8)
    size.writeBigUInt64LE(1n << 30n)
    const withLocator = vhdxImage({
      items: [
        [VHDX_IDS.fileParameters, 0x10000, Buffer.alloc(8)],
        [VHDX_IDS.virtualDiskSize, 0x10008, size],
        [VHDX_IDS.parentLocator, 0x10010, Buffer.alloc(64)],
      ],
    })
    expect(inspectBuffer(withLocator)).toEqual({
      format: 'vhdx',
      virtualSize: 2 ** 30,
      unsafe: 'vhdx is a differencing disk',
    })
  })

  it('refuses metadata it cannot follow: inside the header section, items inside the table, items missing', () => {
    expect(inspectBuffer(vhdxImage({ metadataOffset: 0x80000 })).unsafe).toBe(
      'vhdx has no usable metadata region',
    )
    const early = vhdxImage({ items: [[VHDX_IDS.fileParameters, 0x100, Buffer.alloc(8)]] })
    expect(inspectBuffer(early).unsafe).toBe('vhdx metadata item is malformed')
    const missing = vhdxImage({ items: [[VHDX_IDS.fileParameters, 0x10000, Buffer.alloc(8)]] })
    expect(inspectBuffer(missing).unsafe).toBe('vhdx metadata lacks its required items')
    const noTable = vhdxImage()
    noTable.write('xxxx', 0x30000, 'latin1')
    expect(inspectBuffer(noTable).unsafe).toBe('vhdx region table is malformed')
  })
})
