import { createHash } from 'node:crypto'
import { type MemoryImageStore, memoryImageStore } from '@nubis/testing'
import { type Cloud, createCloud } from '../../src/cloud.js'
import type { CloudOptions } from '../../src/cloud-options.js'
import { createContext, type RequestContext } from '../../src/core/context.js'

/** A cloud with two in-memory image stores and contexts of two projects and an admin. */
export interface ImageFixture {
  cloud: Cloud
  /** The default store. */
  main: MemoryImageStore
  /** A second store that prefers raw, as Ceph does. */
  raw: MemoryImageStore
  /** A member of project `p-alice`. */
  alice: RequestContext
  /** A member of project `p-bob`. */
  bob: RequestContext
  /** An admin of project `p-admin`. */
  admin: RequestContext
  close(): Promise<void>
}

/** Contexts as a token of that project and role set would give them. */
export function memberOf(projectId: string, roles = ['member', 'reader']): RequestContext {
  return createContext({ userId: `u-${projectId}`, projectId, roles })
}

/** Builds an {@link ImageFixture}; `options` are merged into createCloud's. */
export async function imageFixture(options: CloudOptions = {}): Promise<ImageFixture> {
  const main = memoryImageStore({ name: 'main' })
  const raw = memoryImageStore({ name: 'raw', capabilities: { prefersRaw: true, cowClone: true } })
  const cloud = await createCloud({
    tasks: { recoverEveryMs: 0 },
    ...options,
    image: { stores: { main, raw }, defaultStore: 'main', ...options.image },
  })
  return {
    cloud,
    main,
    raw,
    alice: memberOf('p-alice'),
    bob: memberOf('p-bob'),
    admin: memberOf('p-admin', ['admin', 'member', 'reader']),
    close: () => cloud.close(),
  }
}

/** `data` as a stream of chunks of `chunk` bytes. */
export async function* chunksOf(data: Uint8Array, chunk = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += chunk) yield data.subarray(i, i + chunk)
}

/** Reads a stream to one buffer. */
export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const part of stream) parts.push(Buffer.from(part))
  return Buffer.concat(parts)
}

/** Hex digest of `data`. */
export function hashOf(algorithm: 'md5' | 'sha512', data: Uint8Array): string {
  return createHash(algorithm).update(data).digest('hex')
}

/** The first bytes of a qcow2 v3 header of `virtualSize` bytes, with or without a backing file. */
export function qcow2Header(virtualSize: number, backingFile?: string): Buffer {
  const header = Buffer.alloc(4096)
  header.write('QFI\xfb', 0, 'latin1')
  header.writeUInt32BE(3, 4)
  if (backingFile) {
    header.writeBigUInt64BE(512n, 8)
    header.writeUInt32BE(backingFile.length, 16)
    header.write(backingFile, 512, 'latin1')
  }
  header.writeUInt32BE(16, 20) // cluster_bits
  header.writeBigUInt64BE(BigInt(virtualSize), 24)
  header.writeUInt32BE(104, 100) // header_length
  return header
}
