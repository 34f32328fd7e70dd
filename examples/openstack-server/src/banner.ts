import { join } from 'node:path'
import type { NetworkDriver } from '@nubis/sdk'
import type { BootstrapResult } from './bootstrap.js'
import { credentialPaths } from './credentials.js'
import { describeNetworkDriver, vxlanHint } from './network-summary.js'
import type { ProbeResult } from './probe.js'

/** Where a setting came from, as commander reports it: `cli`, `env`, `default` … */
export type SettingSource = string | undefined

/** Everything the start-up banner reports. */
export interface BannerInput {
  version: string
  url: string
  host: string
  port: number
  dataDir: string
  dbPath: string
  sources: { port: SettingSource; host: SettingSource; dataDir: SettingSource }
  probes: readonly ProbeResult[]
  /** The Network service's driver: its name and whether packets really flow. */
  network: Pick<NetworkDriver, 'name' | 'capabilities'>
  admin: BootstrapResult
}

/** The first line of the banner; tests and scripts wait for it. */
export const READY_PREFIX = 'Nubis is serving at '

function from(source: SettingSource, env: string): string {
  if (source === 'cli') return 'from the command line'
  if (source === 'env') return `from ${env}`
  return 'default'
}

function probe(probes: readonly ProbeResult[], name: string): ProbeResult | undefined {
  return probes.find((result) => result.name === name)
}

function found(result: ProbeResult | undefined): string {
  return result?.version ? `${result.name} ${result.version}` : (result?.name ?? '?')
}

/** What runs where: the honest state of each back end, and what this machine could offer instead. */
function backEnds(input: BannerInput): string[] {
  const { probes } = input
  const libvirt = probe(probes, 'libvirt')
  const qemu = probe(probes, 'qemu')
  // Compute and volumes are not served yet (see the `answering` line): these say what each will use.
  const compute =
    libvirt?.available && qemu?.available
      ? `simulated hypervisor; ${found(libvirt)} and ${found(qemu)} are here, so the kvm driver could run real guests`
      : 'simulated hypervisor: libvirt/QEMU not found, and real guests need both'
  // Said plainly: with the state-only default, ports get addresses but guests cannot reach each other.
  const network = `${describeNetworkDriver(input.network)}${input.network.capabilities.dataPlane ? '' : vxlanHint(probes)}`
  const storage = ['ceph', 'lvm'].map((name) => probe(probes, name)).filter((result) => result?.available)
  const usable = probes.filter((result) => result.available).map(found)
  return [
    `  state store  SQLite, ${input.dbPath}`,
    `  images       files in ${join(input.dataDir, 'images')} (local store; staging in ${join(input.dataDir, 'staging')})`,
    `  compute      ${compute}`,
    `  network      ${network}`,
    `  storage      simulated${storage.length ? `; ${storage.map(found).join(', ')} could back real volumes` : ''}`,
    `  this machine ${usable.length ? usable.join(', ') : 'no real back end found'} (details: nubis doctor)`,
  ]
}

function adminLines(input: BannerInput): string[] {
  const { openrc, clouds } = credentialPaths(input.dataDir)
  const { admin } = input
  const where = `${openrc} and ${clouds} (mode 0600)`
  if (!admin.created) {
    const lines = [`  admin        password not shown again: it is in ${where}`]
    for (const file of admin.missingFiles)
      lines.push(`  warning      ${file} is missing; the password is stored nowhere else`)
    if (admin.passwordIgnored)
      lines.push('  warning      NUBIS_ADMIN_PASSWORD was ignored: it only applies on the first start')
    return lines
  }
  const shown = admin.generated ? admin.password : '(from NUBIS_ADMIN_PASSWORD)'
  return [
    `  admin        user admin, project admin, domain Default, password: ${shown}`,
    `               shown this once; also saved in ${where}`,
  ]
}

/**
 * The text `nubis serve` prints once it listens. It says plainly what is simulated and what is not yet served:
 * a newcomer should not have to guess why `openstack server list` fails.
 */
export function formatBanner(input: BannerInput): string {
  const { openrc, clouds } = credentialPaths(input.dataDir)
  return [
    `${READY_PREFIX}${input.url} (Nubis ${input.version})`,
    `  listening    ${input.host} (${from(input.sources.host, 'NUBIS_HOST')}), port ${input.port} (${from(input.sources.port, 'NUBIS_PORT')})`,
    `  data dir     ${input.dataDir} (${from(input.sources.dataDir, 'NUBIS_DATA_DIR')})`,
    ...backEnds(input),
    ...adminLines(input),
    `  answering    Identity (Keystone v3) at ${input.url}/identity/v3, Image (Glance v2) at ${input.url}/image,`,
    `               Network (Neutron v2.0) at ${input.url}/network, /healthcheck and / (versions)`,
    '  not yet      compute, volume and object-store are in the catalog but answer 404',
    '               until their services land',
    '',
    'Use the openstack CLI:',
    `  source ${openrc} && openstack token issue`,
    `  or: OS_CLIENT_CONFIG_FILE=${clouds} openstack --os-cloud nubis token issue`,
    '  then: openstack catalog list, openstack project list, openstack user create …,',
    '        openstack image create --file disk.qcow2 --disk-format qcow2 --container-format bare my-image,',
    '        openstack network create net1 && openstack subnet create --network net1 --subnet-range 10.0.0.0/24 sub1',
    '',
    'Press Ctrl+C to stop.',
    '',
  ].join('\n')
}
