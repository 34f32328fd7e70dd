// Shared by the format inspector's tests: feeding data in chunks, running qemu-img, and building the headers
// qemu-img cannot make (ISO volume descriptors, VMDK descriptors with foreign extents, differencing VHDX).
import { execFileSync } from 'node:child_process'
import { expect } from 'vitest'
import { FormatInspector, type Inspection } from '../../src/image/formats/index.js'

/** True when qemu-img runs here; CI installs it (Debian: apt-get install qemu-utils). */
export const hasQemuImg = (() => {
  try {
    execFileSync('qemu-img', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

/** Runs qemu-img with an argv array (never a shell string) in `cwd`. */
export function qemuImg(cwd: string, ...args: string[]): string {
  return execFileSync('qemu-img', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

/** The virtual size qemu-img reports when opening `file` as `format`. */
export function qemuVirtualSize(cwd: string, format: string, file: string): number {
  const info = JSON.parse(qemuImg(cwd, 'info', '--output=json', '-f', format, file)) as {
    'virtual-size': number
  }
  return info['virtual-size']
}

/** Inspects `data` pushed in chunks whose sizes cycle through `sizes` (the last chunk may be shorter). */
export function inspectChunked(data: Uint8Array, sizes: readonly number[]): Inspection {
  const inspector = new FormatInspector()
  let offset = 0
  for (let i = 0; offset < data.length; i++) {
    const size = Math.max(1, sizes[i % sizes.length] ?? 1)
    inspector.push(data.subarray(offset, offset + size))
    offset += size
  }
  expect(inspector.bytes).toBe(data.length)
  return inspector.finish()
}

/** Bytes of a GUID as Microsoft stores it: the first three fields little-endian. */
export function guidBytes(guid: string): Uint8Array {
  const hex = guid.replaceAll('-', '')
  const bytes = Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16))
  bytes.subarray(0, 4).reverse()
  bytes.subarray(4, 6).reverse()
  bytes.subarray(6, 8).reverse()
  return bytes
}

/** An ISO 9660 image: system area, a primary volume descriptor at sector 16, a terminator at sector 17. */
export function isoImage(
  blocks: number,
  blockSize = 2048,
  options: { bootRecordFirst?: boolean } = {},
): Buffer {
  const image = Buffer.alloc(20 * 2048)
  let sector = 16
  const descriptor = (type: number) => {
    const base = sector++ * 2048
    image[base] = type
    image.write('CD001', base + 1, 'latin1')
    image[base + 6] = 1
    return base
  }
  if (options.bootRecordFirst) descriptor(0)
  const primary = descriptor(1)
  // Both-endian fields: little-endian half then big-endian half.
  image.writeUInt32LE(blocks, primary + 80)
  image.writeUInt32BE(blocks, primary + 84)
  image.writeUInt16LE(blockSize, primary + 128)
  image.writeUInt16BE(blockSize, primary + 130)
  descriptor(255)
  return image
}

/** A hosted sparse VMDK header with `descriptor` embedded at sector 1, as qemu-img and VMware lay it out. */
export function vmdkSparse(
  descriptor: string,
  options: { capacitySectors?: bigint; descriptorSector?: bigint } = {},
): Buffer {
  const image = Buffer.alloc(64 * 1024)
  image.write('KDMV', 0, 'latin1')
  image.writeUInt32LE(1, 4)
  image.writeUInt32LE(3, 8)
  image.writeBigUInt64LE(options.capacitySectors ?? 2048n, 12)
  image.writeBigUInt64LE(128n, 20)
  image.writeBigUInt64LE(options.descriptorSector ?? 1n, 28)
  image.writeBigUInt64LE(20n, 36)
  image.write(descriptor, 512, 'latin1')
  return image
}

/** The descriptor qemu-img embeds in a monolithicSparse image, with `extents` as its extent lines. */
export function vmdkDescriptor(
  extents = ['RW 2048 SPARSE "disk.vmdk"'],
  createType = 'monolithicSparse',
  extra = '',
): string {
  return [
    '# Disk DescriptorFile',
    'version=1',
    'CID=ea3d88ad',
    'parentCID=ffffffff',
    `createType="${createType}"`,
    extra,
    '# Extent description',
    ...extents,
    '',
    '# The Disk Data Base',
    '#DDB',
    '',
    'ddb.virtualHWVersion = "4"',
    'ddb.adapterType = "ide"',
    '',
  ].join('\n')
}

/** A qcow2 v3 header of 1 GiB with 64 KiB clusters, followed by `extensions` (type, data) and an end marker. */
export function qcow2Header(
  options: { incompatible?: bigint; backingOffset?: bigint; extensions?: [number, Buffer][] } = {},
): Buffer {
  const image = Buffer.alloc(64 * 1024)
  image.write('QFI\xfb', 0, 'latin1')
  image.writeUInt32BE(3, 4)
  image.writeBigUInt64BE(options.backingOffset ?? 0n, 8)
  image.writeUInt32BE(16, 20)
  image.writeBigUInt64BE(1n << 30n, 24)
  image.writeBigUInt64BE(options.incompatible ?? 0n, 72)
  image.writeUInt32BE(4, 96)
  image.writeUInt32BE(112, 100)
  let offset = 112
  for (const [type, data] of options.extensions ?? []) {
    image.writeUInt32BE(type, offset)
    image.writeUInt32BE(data.length, offset + 4)
    data.copy(image, offset + 8)
    offset += 8 + Math.ceil(data.length / 8) * 8
  }
  return image
}

/** GUIDs of the VHDX structures the inspector reads. */
export const VHDX_IDS = {
  metadataRegion: '8B7CA206-4790-4B9A-B8FE-575F050F886E',
  fileParameters: 'CAA16737-FA36-4D43-B3B6-33F0AA44E76B',
  virtualDiskSize: '2FA54224-CD1B-4876-B211-5DBED83BF4B8',
  parentLocator: 'A8D35F2D-B30B-454D-ABF7-D3D84834AB0C',
} as const

/**
 * A minimal VHDX as far as the inspector reads it: identifier, region table at 192 KiB naming a metadata region
 * at `metadataOffset` (1 MiB by default), whose table lists `items` (id, offset in the region, data).
 */
export function vhdxImage(
  options: {
    metadataOffset?: number
    items?: [string, number, Buffer][]
    size?: bigint
    hasParent?: boolean
  } = {},
): Buffer {
  const metadataOffset = options.metadataOffset ?? 1 << 20
  const fileParameters = Buffer.alloc(8)
  fileParameters.writeUInt32LE(32 << 20, 0)
  fileParameters.writeUInt32LE(options.hasParent ? 2 : 0, 4)
  const size = Buffer.alloc(8)
  size.writeBigUInt64LE(options.size ?? 1n << 30n, 0)
  const items = options.items ?? [
    [VHDX_IDS.fileParameters, 0x10000, fileParameters],
    [VHDX_IDS.virtualDiskSize, 0x10008, size],
  ]
  const image = Buffer.alloc(Math.max(metadataOffset + 0x20000, 0x40000))
  image.write('vhdxfile', 0, 'latin1')
  image.write('regi', 0x30000, 'latin1')
  image.writeUInt32LE(1, 0x30000 + 8)
  Buffer.from(guidBytes(VHDX_IDS.metadataRegion)).copy(image, 0x30000 + 16)
  image.writeBigUInt64LE(BigInt(metadataOffset), 0x30000 + 32)
  image.writeUInt32LE(1 << 20, 0x30000 + 40)
  image.write('metadata', metadataOffset, 'latin1')
  image.writeUInt16LE(items.length, metadataOffset + 10)
  items.forEach(([id, offset, data], i) => {
    const entry = metadataOffset + 32 + i * 32
    Buffer.from(guidBytes(id)).copy(image, entry)
    image.writeUInt32LE(offset, entry + 16)
    image.writeUInt32LE(data.length, entry + 20)
    if (metadataOffset + offset + data.length <= image.length) data.copy(image, metadataOffset + offset)
  })
  return image
}

/** A VHD footer (big-endian) of `type` (2 fixed, 3 dynamic, 4 differencing) for a disk of `size` bytes. */
export function vhdFooter(type: number, size: bigint): Buffer {
  const footer = Buffer.alloc(512)
  footer.write('conectix', 0, 'latin1')
  footer.writeUInt32BE(0x10000, 12)
  footer.writeBigUInt64BE(size, 40)
  footer.writeBigUInt64BE(size, 48)
  footer.writeUInt32BE(type, 60)
  return footer
}

/** A VDI header (little-endian) of image `type` (1 dynamic, 2 fixed, 4 differencing) for a disk of `size` bytes. */
export function vdiHeader(type: number, size: bigint): Buffer {
  const image = Buffer.alloc(1024)
  image.write('<<< Oracle VM VirtualBox Disk Image >>>\n', 0, 'latin1')
  image.writeUInt32LE(0xbeda107f, 0x40)
  image.writeUInt32LE(0x00010001, 0x44)
  image.writeUInt32LE(type, 0x4c)
  image.writeBigUInt64LE(size, 0x170)
  return image
}
