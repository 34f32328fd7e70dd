import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GlanceFixture, glanceFixture } from './glance-fixtures.js'

let f: GlanceFixture
let port: number
beforeAll(async () => {
  f = await glanceFixture()
  await f.app.listen({ port: 0, host: '127.0.0.1' })
  port = (f.app.server.address() as AddressInfo).port
})
afterAll(() => f.close())

/** Polls `check` until it holds or two seconds pass. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('condition not reached')
}

describe('Glance upload over a real connection', () => {
  it('streams an upload: the store is written before the body has ended', async () => {
    const image = await f.create()
    const size = 8 * 1024 * 1024
    const chunk = Buffer.alloc(64 * 1024, 7)
    let resolveStatus: (status: number) => void = () => {}
    const status = new Promise<number>((resolve) => {
      resolveStatus = resolve
    })
    const req = request(
      {
        port,
        host: '127.0.0.1',
        method: 'PUT',
        path: `/image/v2/images/${image.id}/file`,
        headers: {
          'x-auth-token': f.memberToken,
          'content-type': 'application/octet-stream',
          'content-length': String(size),
        },
      },
      (res) => {
        res.resume()
        resolveStatus(res.statusCode ?? 0)
      },
    )
    req.write(chunk)
    await eventually(async () => f.store.partials(image.id) === 1)
    expect((await f.call('GET', `/v2/images/${image.id}`)).json().status).toBe('saving')
    for (let sent = chunk.length; sent < size; sent += chunk.length) req.write(chunk)
    req.end()
    expect(await status).toBe(204)
    expect((await f.call('GET', `/v2/images/${image.id}`)).json()).toMatchObject({ status: 'active', size })
  })

  it('aborts the upload when the client disconnects: the image is queued again and no data is kept', async () => {
    const image = await f.create()
    const before = f.store.locations().length
    await new Promise<void>((resolve) => {
      const req = request({
        port,
        host: '127.0.0.1',
        method: 'PUT',
        path: `/image/v2/images/${image.id}/file`,
        headers: {
          'x-auth-token': f.memberToken,
          'content-type': 'application/octet-stream',
          'content-length': String(1024 * 1024),
        },
      })
      req.on('error', () => resolve())
      req.write(Buffer.alloc(4096, 1), () => {
        // Give the server time to start the upload, then go away mid-body.
        setTimeout(() => {
          req.destroy()
          resolve()
        }, 100)
      })
    })
    await eventually(async () => (await f.call('GET', `/v2/images/${image.id}`)).json().status === 'queued')
    await eventually(async () => f.store.partials(image.id) === 0)
    expect(f.store.locations()).toHaveLength(before)
    expect((await f.upload(image.id, 'fresh data')).statusCode).toBe(204)
  })
})
