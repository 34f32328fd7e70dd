import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { main } from '../../quickstart/quickstart.js'

const ROOT = new URL('../../../', import.meta.url)

describe('examples/quickstart', () => {
  it('tours settings, a durable task and its event, policy and errors', async () => {
    expect(await main()).toEqual({
      region: 'RegionOne',
      firstWins: false,
      task: { state: 'succeeded', text: 'hello, cloud' },
      events: ['core.task.succeeded: quickstart.greet'],
      memberMay: true,
      systemMay: true,
      denied: "Policy doesn't allow quickstart:greet to be performed.",
      error: {
        code: 'NOT_FOUND',
        message: 'Server 42 could not be found',
        resource: { type: 'server', id: '42' },
        retryable: false,
      },
    })
  })

  it('is what the README shows', async () => {
    const source = await readFile(new URL('examples/quickstart/quickstart.ts', ROOT), 'utf8')
    const readme = await readFile(new URL('README.md', ROOT), 'utf8')
    const code = source.slice(source.indexOf('\nimport ') + 1)
    expect(readme).toContain(`\`\`\`ts\n${code}\`\`\``)
  })
})
