// The real `openstack network …` commands (python3-openstackclient 6.0 over openstacksdk) against `nubis serve`:
// an external network and a private one with subnets, a port at a chosen address, a router with a gateway and an
// interface, a floating IP on the port, a security group with a rule; listed, shown and deleted again.
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  describeRun,
  expectSuccess,
  missingBinary,
  type NubisServer,
  OPENSTACK,
  openstackAsAdmin,
  openstackJson,
  startNubis,
} from './openstack-tools.js'

const skipReason = missingBinary(OPENSTACK)
const CALL_TIMEOUT_MS = 60_000
const STEP_TIMEOUT_MS = 180_000
type Row = Record<string, unknown>

describe.skipIf(skipReason !== undefined)(
  `openstack network commands against nubis serve${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    let server: NubisServer
    const tag = randomBytes(3).toString('hex')
    const n = (what: string) => `cli-${what}-${tag}`
    const ids: Record<string, string> = {}

    const openstack = (args: readonly string[]) => openstackAsAdmin(server, args, CALL_TIMEOUT_MS)
    const run = async (args: readonly string[]) => expectSuccess(args, await openstack(args))
    const json = <T = Row>(args: readonly string[]) => openstackJson<T>(openstack, args)
    const listed = async (args: readonly string[]) =>
      (await json<Row[]>([...args, 'list'])).map((row) => row.ID)

    beforeAll(async () => {
      server = await startNubis()
    })
    afterAll(async () => {
      await server?.close()
    })

    it(
      'network create --external --provider-network-type vxlan, and a private network; list and show them',
      async () => {
        const external = await json([
          'network',
          'create',
          '--external',
          '--provider-network-type',
          'vxlan',
          n('public'),
        ])
        ids.public = String(external.id)
        expect(external).toMatchObject({
          name: n('public'),
          'router:external': true,
          'provider:network_type': 'vxlan',
          'provider:segmentation_id': expect.any(Number),
          status: 'ACTIVE',
        })
        const internal = await json(['network', 'create', '--description', 'app tier', n('private')])
        ids.private = String(internal.id)
        expect(internal).toMatchObject({
          name: n('private'),
          description: 'app tier',
          'router:external': false,
        })
        expect(await listed(['network'])).toEqual(expect.arrayContaining([ids.public, ids.private]))
        const externalOnly = await json<Row[]>(['network', 'list', '--external'])
        expect(externalOnly.map((row) => row.ID)).toEqual([ids.public])
        expect(await json(['network', 'show', n('private')])).toMatchObject({
          id: ids.private,
          mtu: expect.any(Number),
        })
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'subnet create --subnet-range on both networks; subnet list and show',
      async () => {
        const pub = await json([
          'subnet',
          'create',
          '--network',
          n('public'),
          '--subnet-range',
          '203.0.113.0/24',
          '--no-dhcp',
          n('public-sub'),
        ])
        ids.publicSubnet = String(pub.id)
        const priv = await json([
          'subnet',
          'create',
          '--network',
          n('private'),
          '--subnet-range',
          '10.42.0.0/24',
          '--dns-nameserver',
          '192.0.2.53',
          n('private-sub'),
        ])
        ids.privateSubnet = String(priv.id)
        expect(priv).toMatchObject({
          cidr: '10.42.0.0/24',
          gateway_ip: '10.42.0.1',
          ip_version: 4,
          network_id: ids.private,
          enable_dhcp: true,
        })
        expect(await listed(['subnet'])).toEqual(
          expect.arrayContaining([ids.publicSubnet, ids.privateSubnet]),
        )
        const onPrivate = await json<Row[]>(['subnet', 'list', '--network', n('private')])
        expect(onPrivate.map((row) => row.ID)).toEqual([ids.privateSubnet])
        expect(await json(['subnet', 'show', n('private-sub')])).toMatchObject({ id: ids.privateSubnet })
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'port create --fixed-ip takes the address asked for; a second port cannot have it',
      async () => {
        const port = await json([
          'port',
          'create',
          '--network',
          n('private'),
          '--fixed-ip',
          `subnet=${n('private-sub')},ip-address=10.42.0.10`,
          n('port'),
        ])
        ids.port = String(port.id)
        expect(JSON.stringify(port.fixed_ips)).toContain('10.42.0.10')
        const clash = await openstack([
          'port',
          'create',
          '--network',
          n('private'),
          '--fixed-ip',
          'ip-address=10.42.0.10',
          n('port-clash'),
        ])
        expect(clash.code, describeRun('port create (address in use)', clash)).not.toBe(0)
        expect(`${clash.stdout}${clash.stderr}`).toMatch(/10\.42\.0\.10|409|Conflict|in use/i)
        expect(await listed(['port'])).toContain(ids.port)
        expect(await json(['port', 'show', n('port')])).toMatchObject({
          id: ids.port,
          network_id: ids.private,
        })
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'router create, router set --external-gateway, router add subnet',
      async () => {
        const router = await json(['router', 'create', n('router')])
        ids.router = String(router.id)
        await run(['router', 'set', '--external-gateway', n('public'), n('router')])
        await run(['router', 'add', 'subnet', n('router'), n('private-sub')])
        const shown = await json(['router', 'show', n('router')])
        expect(JSON.stringify(shown.external_gateway_info)).toContain(ids.public)
        expect(JSON.stringify(shown.external_gateway_info)).toContain('203.0.113.')
        const interfaces = await json<Row[]>(['port', 'list', '--router', n('router')])
        expect(JSON.stringify(interfaces)).toContain('10.42.0.1')
        expect(await listed(['router'])).toContain(ids.router)
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'floating ip create on the external network, floating ip set --port, list and show',
      async () => {
        const fip = await json(['floating', 'ip', 'create', n('public')])
        ids.fip = String(fip.id)
        expect(String(fip.floating_ip_address)).toMatch(/^203\.0\.113\.\d+$/)
        await run(['floating', 'ip', 'set', '--port', n('port'), ids.fip])
        const shown = await json(['floating', 'ip', 'show', ids.fip])
        expect(shown).toMatchObject({
          port_id: ids.port,
          fixed_ip_address: '10.42.0.10',
          router_id: ids.router,
        })
        expect(await listed(['floating', 'ip'])).toContain(ids.fip)
        await run(['floating', 'ip', 'unset', '--port', ids.fip])
        expect(await json(['floating', 'ip', 'show', ids.fip])).toMatchObject({ port_id: null })
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'security group create, security group rule create, list and show',
      async () => {
        const group = await json(['security', 'group', 'create', '--description', 'ssh in', n('sg')])
        ids.group = String(group.id)
        const rule = await json([
          'security',
          'group',
          'rule',
          'create',
          '--protocol',
          'tcp',
          '--dst-port',
          '22',
          '--remote-ip',
          '198.51.100.0/24',
          n('sg'),
        ])
        ids.rule = String(rule.id)
        expect(rule).toMatchObject({
          direction: 'ingress',
          protocol: 'tcp',
          port_range_min: 22,
          port_range_max: 22,
          remote_ip_prefix: '198.51.100.0/24',
          security_group_id: ids.group,
        })
        const rules = await json<Row[]>(['security', 'group', 'rule', 'list', n('sg')])
        expect(rules.map((row) => row.ID)).toContain(ids.rule)
        expect(await listed(['security', 'group'])).toContain(ids.group)
        expect(await json(['security', 'group', 'show', n('sg')])).toMatchObject({
          id: ids.group,
          name: n('sg'),
        })
        expect(await json(['security', 'group', 'rule', 'show', ids.rule])).toMatchObject({ id: ids.rule })
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'deletes everything again, in an order Neutron allows',
      async () => {
        const busy = await openstack(['network', 'delete', n('private')])
        expect(busy.code, describeRun('network delete (ports remain)', busy)).not.toBe(0)
        await run(['security', 'group', 'rule', 'delete', ids.rule!])
        await run(['security', 'group', 'delete', n('sg')])
        await run(['floating', 'ip', 'delete', ids.fip!])
        await run(['router', 'remove', 'subnet', n('router'), n('private-sub')])
        await run(['router', 'unset', '--external-gateway', n('router')])
        await run(['router', 'delete', n('router')])
        await run(['port', 'delete', n('port')])
        await run(['subnet', 'delete', n('private-sub'), n('public-sub')])
        await run(['network', 'delete', n('private'), n('public')])
        expect(await listed(['network'])).not.toContain(ids.private)
        expect(await listed(['router'])).not.toContain(ids.router)
        const gone = await openstack(['port', 'show', ids.port!])
        expect(gone.code).not.toBe(0)
      },
      STEP_TIMEOUT_MS,
    )
  },
)
