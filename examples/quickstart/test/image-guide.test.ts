import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { main } from '../image.js'

const ROOT = new URL('../../../', import.meta.url)

describe('docs/image.md', () => {
  it('runs its tour: upload with hashes, a range, a refused label, sharing', async () => {
    expect(await main()).toEqual({
      status: 'active',
      size: 21,
      checksum: '65394d7e6627d75fd20b281cb5c2c405',
      range: 'disk',
      refused: 'INVALID',
      liarStatus: 'queued',
      hiddenFromBob: 'NOT_FOUND',
      bobSees: ['tiny'],
    })
  })

  it('shows the tour exactly as the example file has it', async () => {
    const source = await readFile(new URL('examples/quickstart/image.ts', ROOT), 'utf8')
    const guide = await readFile(new URL('docs/image.md', ROOT), 'utf8')
    const code = source.slice(source.indexOf('\nimport ') + 1)
    expect(guide).toContain(`\`\`\`ts\n${code}\`\`\``)
  })
})
