import { vxlanNetwork } from '@nubis/drivers/vxlan'
import { defineTransport } from '@nubis/sdk'
import { sampleHostState, startNetnsHosts } from '@nubis/testing'
import { it } from 'vitest'

it('profiles', async () => {
  const net = await startNetnsHosts({ prefix: 'nbvp', count: 1 })
  const h = net.hosts[0]!
  await net.exec(h.namespace, ['ip', 'link', 'add', 'ext0', 'up', 'type', 'veth', 'peer', 'name', 'ext0p'])
  const log: [number, string][] = []
  const transport = defineTransport({ describe: () => 'p', run: async (argv, o) => { const t = performance.now(); const r = await h.transport.run(argv, o); log.push([performance.now() - t, argv.join(' ').slice(0, 110)]); return r } })
  const driver = vxlanNetwork({ hosts: [{ name: 'h1', transport, tunnelIp: h.tunnelIp, namespacePrefix: h.namespacePrefix, physicalNetworks: { physnet1: 'ext0' } }], stateDir: '/tmp/nbvp-state' })
  const s = sampleHostState({ host: 'h1', capabilities: driver.capabilities, physicalNetwork: 'physnet1', vif: () => ({ type: 'tap' }) })
  for (const step of ['apply', 'apply', 'apply', 'clear', 'clear']) {
    log.length = 0
    const t = performance.now()
    if (step === 'apply') console.log(await driver.applyHost(s.state)); else await driver.clearHost('h1')
    console.log(step, Math.round(performance.now() - t), 'ms', log.length, 'commands')
    console.log(log.sort((a, b) => b[0] - a[0]).slice(0, 12).map(([d, c]) => `${Math.round(d)} ${c}`).join('\n'))
  }
  await net.down()
}, 60_000)
