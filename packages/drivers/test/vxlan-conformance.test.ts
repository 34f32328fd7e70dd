import { describeNetworkDriverConformance } from '@nubis/testing'
import { afterAll } from 'vitest'
import { type Lab, skipReason, startLab } from './vxlan-helpers.js'

// The network driver conformance suite against the real driver on two namespace hosts. Each host has an
// interface ext0 (a veth) for physical network physnet1, so the sample router's external network is flat.
let lab: Promise<Lab> | undefined
const shared = () => {
  lab ??= startLab('nbv8', 2, { physicalNetworks: { physnet1: 'ext0' } }).then(async (started) => {
    for (const host of started.net.hosts) {
      await started.net.exec(host.namespace, [
        'ip',
        'link',
        'add',
        'ext0',
        'up',
        'type',
        'veth',
        'peer',
        'name',
        'ext0p',
      ])
      await started.net.exec(host.namespace, ['ip', 'link', 'set', 'dev', 'ext0p', 'up'])
    }
    return started
  })
  return lab
}
afterAll(async () => {
  await (await lab)?.down()
})

describeNetworkDriverConformance(
  async () => ({
    driver: (await shared()).driver,
    vif: () => ({ type: 'tap' }),
    physicalNetwork: 'physnet1',
    unpluggablePort: (port) => ({ ...port, vif: { type: 'veth', netns: 'nbv8-no-such-namespace' } }),
  }),
  { label: 'vxlan on namespace hosts', skip: skipReason },
)
