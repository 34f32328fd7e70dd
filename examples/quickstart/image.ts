// The tour of docs/image.md: the Image service with a local-file store, run by the tests.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { localImageStore } from '@nubis/drivers/local'
import { createCloud, createContext, isCloudError } from '@nubis/sdk'

export async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'nubis-images-'))
  const cloud = await createCloud({ image: { stores: { local: localImageStore({ dir }) } } })
  try {
    // Contexts normally come from tokens (cloud.identity.validateToken); here two projects' members.
    const alice = createContext({ userId: 'alice', projectId: 'web', roles: ['member', 'reader'] })
    const bob = createContext({ userId: 'bob', projectId: 'ops', roles: ['member', 'reader'] })

    // A record first (queued), then its data, streamed: size, MD5 and SHA-512 are computed on the way.
    const image = await cloud.image.createImage(alice, {
      name: 'tiny',
      diskFormat: 'raw',
      containerFormat: 'bare',
    })
    const data = new TextEncoder().encode('a disk of a few bytes')
    async function* chunks() {
      yield data
    }
    const active = await cloud.image.uploadImageData(alice, image.id, chunks())

    // A range of the data, as an HTTP Range request asks for it.
    const part = await cloud.image.downloadImageData(alice, image.id, { offset: 2, length: 4 })
    let text = ''
    for await (const chunk of part.stream) text += Buffer.from(chunk).toString()

    // The label must match the data: a qcow2 label on raw bytes is refused and the image stays queued.
    const liar = await cloud.image.createImage(alice, { diskFormat: 'qcow2', containerFormat: 'bare' })
    const refused = await cloud.image.uploadImageData(alice, liar.id, chunks()).catch((e: unknown) => e)

    // Sharing: bob sees the image once it is shared with his project, and lists it once he accepts.
    const hidden = await cloud.image.getImage(bob, image.id).catch((e: unknown) => e)
    await cloud.image.addImageMember(alice, image.id, 'ops')
    await cloud.image.updateImageMember(bob, image.id, 'ops', 'accepted')
    const bobSees = (await cloud.image.listImages(bob)).items.map((i) => i.name)

    return {
      status: active.status,
      size: active.size,
      checksum: active.checksum,
      range: text,
      refused: isCloudError(refused) ? refused.code : 'accepted',
      liarStatus: (await cloud.image.getImage(alice, liar.id)).status,
      hiddenFromBob: isCloudError(hidden) ? hidden.code : 'visible',
      bobSees,
    }
  } finally {
    await cloud.close()
    await rm(dir, { recursive: true, force: true })
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(await main())
