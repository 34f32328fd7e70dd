// The tour of docs/network.md: the Network service on its test double, run by the tests.
import { pathToFileURL } from 'node:url'
import { createCloud, createContext, isCloudError } from '@nubis/sdk'
import { memoryNetworkDriver } from '@nubis/testing'

export async function main() {
  // The double stands in for a data plane (vxlanNetwork from @nubis/drivers/vxlan on real hosts): it keeps the
  // state each host was given, so the tour can look at what a host would be told to build.
  const driver = memoryNetworkDriver({
    hosts: [
      { name: 'hv1', tunnelIp: '198.18.0.1' },
      { name: 'hv2', tunnelIp: '198.18.0.2' },
    ],
  })
  const cloud = await createCloud({ network: { driver, vniRanges: [[1000, 1999]] } })
  try {
    const admin = createContext({ userId: 'root', projectId: 'ops', roles: ['admin', 'member', 'reader'] })
    const alice = createContext({ userId: 'alice', projectId: 'web', roles: ['member', 'reader'] })

    // A tenant network gets the lowest free VNI; a subnet gets its gateway and pool from the CIDR.
    const net = await cloud.network.createNetwork(alice, { name: 'web' })
    const subnet = await cloud.network.createSubnet(alice, {
      networkId: net.id,
      ipVersion: 4,
      cidr: '10.0.0.0/24',
    })

    // An external network (admins only) and a router with SNAT to it and an interface on the subnet.
    const ext = await cloud.network.createNetwork(admin, {
      name: 'public',
      external: true,
      networkType: 'flat',
      physicalNetwork: 'external',
    })
    await cloud.network.createSubnet(admin, {
      networkId: ext.id,
      ipVersion: 4,
      cidr: '198.19.0.0/24',
      enableDhcp: false,
    })
    const router = await cloud.network.createRouter(alice, {
      name: 'edge',
      externalGateway: { networkId: ext.id },
    })
    await cloud.network.addRouterInterface(alice, router.id, { subnetId: subnet.id })

    // A port bound to a host (Compute does this when it boots a server), and a floating IP for it.
    const port = await cloud.network.createPort(admin, {
      networkId: net.id,
      projectId: 'web',
      bindingHostId: 'hv2',
    })
    const fip = await cloud.network.createFloatingIp(alice, { floatingNetworkId: ext.id, portId: port.id })

    // An address in use is a conflict, and nothing is left behind by the failed call.
    const taken = await cloud.network
      .createPort(alice, { networkId: net.id, fixedIps: [{ ipAddress: port.fixedIps[0]!.ipAddress }] })
      .catch((e: unknown) => e)

    const hv2 = driver.applied('hv2')!
    return {
      vni: net.segmentationId,
      gateway: subnet.gatewayIp,
      portIp: port.fixedIps[0]?.ipAddress,
      binding: [port.status, port.bindingVifType],
      floatingIp: [fip.floatingIpAddress, fip.fixedIpAddress, fip.status],
      taken: isCloudError(taken) ? taken.code : 'created',
      hv2: { networks: hv2.networks.map((n) => n.segmentationId), ports: hv2.ports.length },
      routersOnGateway: driver.applied('hv1')?.routers.map((r) => r.floatingIps.length),
    }
  } finally {
    await cloud.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(await main())
