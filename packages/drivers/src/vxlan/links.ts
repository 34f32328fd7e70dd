import { CloudError } from '@nubis/sdk'
import { ipIn, parseJsonList, type Runner } from './runner.js'

/** A network interface as `ip -j -d link show` describes it, reduced to what the driver compares. */
export interface ActualLink {
  name: string
  /** `info_kind` (`bridge`, `vxlan`, `gretap`, `vlan`, `veth`, `tun`…), `''` for a physical interface. */
  kind: string
  mtu: number
  master: string | null
  up: boolean
  group: string
  mac: string
  /** `linkinfo.info_data`: the kind's own attributes (VNI, local address, key…). */
  data: Record<string, unknown>
  /** `linkinfo.info_slave_data`: attributes as a bridge port (`isolated`…). */
  portData: Record<string, unknown>
  /** The lower device (`link`), for VLANs. */
  parent: string | null
}

interface IpLink {
  ifname: string
  mtu: number
  master?: string
  flags?: string[]
  group?: string
  address?: string
  link?: string
  linkinfo?: {
    info_kind?: string
    info_data?: Record<string, unknown>
    info_slave_data?: Record<string, unknown>
  }
}

/** The interfaces of a namespace (the host's own when null), by name. */
export async function readLinks(
  runner: Runner,
  namespace: string | null = null,
): Promise<Map<string, ActualLink>> {
  const links = parseJsonList<IpLink>(await runner.read(ipIn(namespace, '-j', '-d', 'link', 'show')))
  return new Map(
    links.map((link) => [
      link.ifname,
      {
        name: link.ifname,
        kind: link.linkinfo?.info_kind ?? '',
        mtu: link.mtu,
        master: link.master ?? null,
        up: link.flags?.includes('UP') ?? false,
        group: link.group ?? 'default',
        mac: (link.address ?? '').toLowerCase(),
        data: link.linkinfo?.info_data ?? {},
        portData: link.linkinfo?.info_slave_data ?? {},
        parent: link.link ?? null,
      },
    ]),
  )
}

/**
 * An interface the driver wants on a host. Attributes the kernel cannot change in place (VNI, tunnel ends…)
 * are in `identity`; a device whose identity differs is deleted and made again. The rest (MTU, bridge, state,
 * bridge-port flags) is set in place.
 */
export interface LinkSpec {
  name: string
  /** False for a physical interface (flat networks): never made nor deleted, only put in its bridge. */
  owned: boolean
  /** Whether an existing device is the right one, as far as unchangeable attributes go. */
  identity: (link: ActualLink) => boolean
  /** Commands that make it: `ip link add` with group, MTU, master and `up` already in, then any follow-up. */
  create: string[][]
  mtu?: number
  /** The bridge it belongs to. */
  master?: string
  up: boolean
  /** Bridge-port flags, e.g. `isolated on` for the split horizon of GRE tunnels. */
  portFlags?: Record<string, boolean>
}

/** The options of `ip link add` that put a new link straight where it belongs. */
export function addOptions(spec: Pick<LinkSpec, 'mtu' | 'master' | 'up'>, group: number): string[] {
  return [
    'group',
    String(group),
    ...(spec.mtu === undefined ? [] : ['mtu', String(spec.mtu)]),
    ...(spec.master === undefined ? [] : ['master', spec.master]),
    ...(spec.up ? ['up'] : []),
  ]
}

/**
 * Makes the host's device `spec.name` match `spec`, given what exists (`actual`, updated in place); true when
 * the device was (re)made. Throws `DRIVER_FAILED` when the name is taken by a device the driver does not own,
 * or a physical interface is missing.
 */
export async function convergeLink(
  runner: Runner,
  spec: LinkSpec,
  actual: Map<string, ActualLink>,
): Promise<boolean> {
  const group = String(runner.config.linkGroup)
  let link = actual.get(spec.name)
  if (!spec.owned && !link) {
    throw new CloudError('DRIVER_FAILED', `Interface ${spec.name} does not exist on host ${runner.host.name}`)
  }
  if (spec.owned && link && link.group !== group) {
    throw new CloudError(
      'DRIVER_FAILED',
      `Interface ${spec.name} on host ${runner.host.name} exists but was not made by Nubis (link group ${link.group})`,
    )
  }
  if (link && spec.owned && !spec.identity(link)) {
    await runner.change(['ip', 'link', 'del', 'dev', spec.name])
    actual.delete(spec.name)
    link = undefined
  }
  if (!link) {
    try {
      for (const argv of spec.create) await runner.change(argv)
    } catch (error) {
      // Half made (a veth whose guest end could not be configured…): leave nothing behind.
      if (spec.create.length > 1)
        await runner.change(['ip', 'link', 'del', 'dev', spec.name], { okCodes: [1] }).catch(() => {})
      throw error
    }
    await setPortFlags(runner, spec, undefined)
    return true
  }
  const fix = [
    ...(spec.mtu !== undefined && link.mtu !== spec.mtu ? ['mtu', String(spec.mtu)] : []),
    ...(spec.master !== undefined && link.master !== spec.master ? ['master', spec.master] : []),
    ...(spec.up !== link.up ? [spec.up ? 'up' : 'down'] : []),
  ]
  if (fix.length > 0) await runner.change(['ip', 'link', 'set', 'dev', spec.name, ...fix])
  await setPortFlags(runner, spec, link.master === spec.master ? link : undefined)
  return false
}

async function setPortFlags(runner: Runner, spec: LinkSpec, link: ActualLink | undefined): Promise<void> {
  const flags = Object.entries(spec.portFlags ?? {}).filter(([flag, on]) => link?.portData[flag] !== on)
  if (flags.length === 0) return
  await runner.change([
    'bridge',
    'link',
    'set',
    'dev',
    spec.name,
    ...flags.flatMap(([f, on]) => [f, on ? 'on' : 'off']),
  ])
}

/** Deletes the devices of the driver's link group that are not in `wanted`; returns their names. */
export async function deleteUnwanted(
  runner: Runner,
  actual: Map<string, ActualLink>,
  wanted: ReadonlySet<string>,
): Promise<string[]> {
  const group = String(runner.config.linkGroup)
  const doomed = [...actual.values()].filter((link) => link.group === group && !wanted.has(link.name))
  // Ports first, bridges last, each batch side by side (the kernel serialises them anyway). A veth whose peer
  // was just deleted, or whose namespace went away, may be gone already: exit 1 is fine.
  for (const bridges of [false, true]) {
    const batch = doomed.filter((link) => (link.kind === 'bridge') === bridges)
    await Promise.all(
      batch.map((link) => runner.change(['ip', 'link', 'del', 'dev', link.name], { okCodes: [1] })),
    )
  }
  for (const link of doomed) actual.delete(link.name)
  return doomed.map((link) => link.name)
}
