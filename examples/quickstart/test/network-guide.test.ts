import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { main } from '../network.js'

const ROOT = new URL('../../../', import.meta.url)

describe('docs/network.md', () => {
  it('runs its tour: a tenant network, a router with SNAT, a bound port with a floating IP, a refused address', async () => {
    expect(await main()).toEqual({
      vni: 1000,
      gateway: '10.0.0.1',
      portIp: '10.0.0.3',
      binding: ['ACTIVE', 'tap'],
      floatingIp: ['198.19.0.3', '10.0.0.3', 'ACTIVE'],
      taken: 'CONFLICT',
      hv2: { networks: [1000], ports: 1 },
      routersOnGateway: [1],
    })
  })

  it('shows the tour exactly as the example file has it', async () => {
    const source = await readFile(new URL('examples/quickstart/network.ts', ROOT), 'utf8')
    const guide = await readFile(new URL('docs/network.md', ROOT), 'utf8')
    const code = source.slice(source.indexOf('\nimport ') + 1)
    expect(guide).toContain(`\`\`\`ts\n${code}\`\`\``)
  })
})
