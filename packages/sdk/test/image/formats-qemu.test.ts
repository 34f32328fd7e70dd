import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkDeclaredFormat, type DetectedFormat, inspectBuffer } from '../../src/image/formats/index.js'
import { guidBytes, hasQemuImg, inspectChunked, qemuImg, qemuVirtualSize } from './formats-fixtures.js'

// Images made by the real qemu-img, so the offsets the inspector reads are checked against the tool that
// writes (and later reads) them, not against this code's own reading of the specs.

const MiB = 1024 * 1024

interface Made {
  /** File name in the temporary directory. */
  file: string
  /** qemu-img create arguments after `create`. */
  create: string[]
  /** What the inspector must say. */
  format: DetectedFormat
  /** qemu's driver name, to ask qemu-img info for the virtual size. */
  driver: string
  /** The unsafe reason expected, if any. */
  unsafe?: string
}

const IMAGES: Made[] = [
  { file: 'plain.qcow2', create: ['-f', 'qcow2', 'plain.qcow2', '64M'], format: 'qcow2', driver: 'qcow2' },
  {
    file: 'v2.qcow2',
    create: ['-f', 'qcow2', '-o', 'compat=0.10', 'v2.qcow2', '3M'],
    format: 'qcow2',
    driver: 'qcow2',
  },
  {
    file: 'backed.qcow2',
    create: ['-f', 'qcow2', '-b', 'base.raw', '-F', 'raw', 'backed.qcow2'],
    format: 'qcow2',
    driver: 'qcow2',
    unsafe: 'qcow2 names a backing file',
  },
  {
    file: 'data-file.qcow2',
    create: ['-f', 'qcow2', '-o', 'data_file=data-file.raw', 'data-file.qcow2', '8M'],
    format: 'qcow2',
    driver: 'qcow2',
    unsafe: 'qcow2 uses an external data file',
  },
  { file: 'sparse.vmdk', create: ['-f', 'vmdk', 'sparse.vmdk', '64M'], format: 'vmdk', driver: 'vmdk' },
  {
    file: 'stream.vmdk',
    create: ['-f', 'vmdk', '-o', 'subformat=streamOptimized', 'stream.vmdk', '64M'],
    format: 'vmdk',
    driver: 'vmdk',
  },
  {
    file: 'flat.vmdk',
    create: ['-f', 'vmdk', '-o', 'subformat=monolithicFlat', 'flat.vmdk', '1M'],
    format: 'vmdk',
    driver: 'vmdk',
    unsafe: 'vmdk descriptor names extent files on the host',
  },
  { file: 'dynamic.vhd', create: ['-f', 'vpc', 'dynamic.vhd', '64M'], format: 'vhd', driver: 'vpc' },
  {
    file: 'fixed.vhd',
    create: ['-f', 'vpc', '-o', 'subformat=fixed', 'fixed.vhd', '4M'],
    format: 'vhd',
    driver: 'vpc',
  },
  { file: 'disk.vhdx', create: ['-f', 'vhdx', 'disk.vhdx', '64M'], format: 'vhdx', driver: 'vhdx' },
  { file: 'disk.vdi', create: ['-f', 'vdi', 'disk.vdi', '64M'], format: 'vdi', driver: 'vdi' },
  { file: 'disk.raw', create: ['-f', 'raw', 'disk.raw', '3M'], format: 'raw', driver: 'raw' },
]

describe.skipIf(!hasQemuImg)(
  'format inspector on images made by qemu-img (needs qemu-img (apt qemu-utils))',
  () => {
    let dir = ''
    const read = (file: string) => readFileSync(join(dir, file))

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'nubis-formats-'))
      qemuImg(dir, 'create', '-f', 'raw', 'base.raw', '1M')
      for (const image of IMAGES) qemuImg(dir, 'create', ...image.create)
    })
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true })
    })

    it.each(IMAGES)('$file is $format with the virtual size qemu reports', (image) => {
      const found = inspectBuffer(read(image.file))
      expect(found).toEqual({
        format: image.format,
        // A fixed VHD is opened by qemu's vpc driver from its footer; the inspector reads the same field.
        virtualSize: qemuVirtualSize(dir, image.driver, image.file),
        ...(image.unsafe && { unsafe: image.unsafe }),
      })
    })

    it.each(IMAGES)('$file gives the same answer in 1-byte, odd-sized and 64 KiB chunks', (image) => {
      const data = read(image.file)
      const whole = inspectBuffer(data)
      // One-byte chunks over many MiB are slow; the first 4 MiB hold every header read, a VHDX's metadata at
      // 3 MiB included. Only a fixed VHD's footer lies beyond, and the other chunkings cover it.
      const head = data.subarray(0, Math.min(data.length, 4 * MiB))
      expect(inspectChunked(head, [1])).toEqual(inspectBuffer(head))
      expect(inspectChunked(data, [7, 4093, 511, 65_537])).toEqual(whole)
      expect(inspectChunked(data, [65_536])).toEqual(whole)
    })

    it('the data file of a qcow2 is plain raw, and the raw base of a backed qcow2 too', () => {
      expect(inspectBuffer(read('data-file.raw'))).toEqual({ format: 'raw', virtualSize: 8 * MiB })
      expect(inspectBuffer(read('base.raw'))).toEqual({ format: 'raw', virtualSize: MiB })
    })

    it('a VHDX whose file parameters say it has a parent is unsafe', () => {
      const data = Buffer.from(read('disk.vhdx'))
      const item = vhdxItemOffset(data, 'CAA16737-FA36-4D43-B3B6-33F0AA44E76B')
      data.writeUInt32LE(data.readUInt32LE(item + 4) | 2, item + 4)
      expect(inspectBuffer(data)).toMatchObject({ format: 'vhdx', unsafe: 'vhdx is a differencing disk' })
    })

    it('a VHDX whose metadata lists a parent locator is unsafe, in any chunking', () => {
      const data = Buffer.from(read('disk.vhdx'))
      const table = vhdxMetadataOffset(data)
      const count = data.readUInt16LE(table + 10)
      const entry = table + 32 + count * 32
      guidBytes('A8D35F2D-B30B-454D-ABF7-D3D84834AB0C').forEach((byte, i) => {
        data[entry + i] = byte
      })
      data.writeUInt32LE(0x20000, entry + 16)
      data.writeUInt32LE(64, entry + 20)
      data.writeUInt16LE(count + 1, table + 10)
      const expected = { format: 'vhdx', virtualSize: 64 * MiB, unsafe: 'vhdx is a differencing disk' }
      expect(inspectBuffer(data)).toEqual(expected)
      expect(inspectChunked(data, [1000, 3, 70_000])).toEqual(expected)
    })

    it('a VHDX cut short before its metadata is unsafe, and one cut before its region table is raw', () => {
      const data = read('disk.vhdx')
      expect(inspectBuffer(data.subarray(0, 3 * MiB + 100))).toEqual({
        format: 'vhdx',
        unsafe: 'vhdx metadata could not be read before the data ended',
      })
      expect(inspectBuffer(data.subarray(0, 200 * 1024))).toEqual({ format: 'raw', virtualSize: 200 * 1024 })
    })

    it('a dynamic VHD turned into a differencing disk is unsafe, whether the head or the footer says so', () => {
      const data = Buffer.from(read('dynamic.vhd'))
      const head = Buffer.from(data)
      head.writeUInt32BE(4, 60)
      expect(inspectBuffer(head)).toMatchObject({ format: 'vhd', unsafe: 'vhd is a differencing disk' })
      const tail = Buffer.from(data)
      tail.writeUInt32BE(4, tail.length - 512 + 60)
      expect(inspectBuffer(tail)).toMatchObject({ format: 'vhd', unsafe: 'vhd is a differencing disk' })
    })

    it('checkDeclaredFormat takes each image under its own format and refuses a raw label on containers', () => {
      for (const image of IMAGES) {
        const found = inspectBuffer(read(image.file))
        const own = image.format
        if (image.unsafe) expect(() => checkDeclaredFormat(own, found)).toThrow(image.unsafe)
        else expect(() => checkDeclaredFormat(own, found)).not.toThrow()
        if (own !== 'raw') expect(() => checkDeclaredFormat('raw', found)).toThrow(/declared as raw/)
      }
    })
  },
)

/** Where the VHDX metadata region starts, from the region table at 192 KiB. */
function vhdxMetadataOffset(data: Buffer): number {
  const id = Buffer.from(guidBytes('8B7CA206-4790-4B9A-B8FE-575F050F886E'))
  const count = data.readUInt32LE(0x30000 + 8)
  for (let i = 0; i < count; i++) {
    const entry = 0x30000 + 16 + i * 32
    if (data.subarray(entry, entry + 16).equals(id)) return Number(data.readBigUInt64LE(entry + 16))
  }
  throw new Error('no metadata region')
}

/** Where a VHDX metadata item's data is. */
function vhdxItemOffset(data: Buffer, guid: string): number {
  const table = vhdxMetadataOffset(data)
  const id = Buffer.from(guidBytes(guid))
  for (let i = 0; i < data.readUInt16LE(table + 10); i++) {
    const entry = table + 32 + i * 32
    if (data.subarray(entry, entry + 16).equals(id)) return table + data.readUInt32LE(entry + 16)
  }
  throw new Error(`no item ${guid}`)
}
