import { once } from 'node:events'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCloud, sqliteStore } from '@nubis/sdk'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { READY_PREFIX } from '../src/banner.js'
import { BOOTSTRAP_ADMIN_KEY } from '../src/bootstrap.js'
import { PROBES } from '../src/doctor.js'
import { type CliProcess, freePort, runCli, startCli, stop } from './cli-helpers.js'

let dataDir: string
const running: CliProcess[] = []

/** Starts `nubis serve` on a free port with the shared data dir and waits for the banner. */
async function serve(env: Record<string, string> = {}, args: string[] = []) {
  const port = await freePort()
  const cli = startCli(['serve', '--port', String(port), '--data-dir', dataDir, ...args], env)
  running.push(cli)
  await cli.waitFor('Press Ctrl+C to stop.')
  return { cli, port, url: `http://127.0.0.1:${port}` }
}

/** OS_PASSWORD as written in admin-openrc.sh (generated passwords need no quoting). */
async function openrcPassword(): Promise<string> {
  const text = await readFile(join(dataDir, 'admin-openrc.sh'), 'utf8')
  return text.match(/^export OS_PASSWORD=(.*)$/m)![1]!
}

function count(text: string, part: string): number {
  return text.split(part).length - 1
}

beforeAll(async () => {
  dataDir = join(await mkdtemp(join(tmpdir(), 'nubis-cli-')), 'data')
})
afterEach(async () => {
  await Promise.all(running.splice(0).map(stop))
})
afterAll(async () => {
  await rm(join(dataDir, '..'), { recursive: true, force: true })
})

describe('nubis serve', () => {
  let firstPassword: string

  it('bootstraps a data dir, serves /healthcheck, shows the password once, and stops cleanly', async () => {
    const { cli, port, url } = await serve()
    expect(cli.stdout()).toContain(`${READY_PREFIX}${url}`)
    expect(cli.stdout()).toContain(`port ${port} (from the command line)`)
    expect(cli.stdout()).toContain('simulated hypervisor')
    expect(cli.stdout()).toContain(
      'network      records only, no data plane: packets do not flow (driver state-only)',
    )
    expect(cli.stdout()).toContain(`Network (Neutron v2.0) at ${url}/network`)

    const response = await fetch(`${url}/healthcheck`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ok', store: 'ok' })
    expect(response.headers.get('x-openstack-request-id')).toMatch(/^req-[0-9a-f-]{36}$/)

    expect((await stat(dataDir)).mode & 0o777).toBe(0o700)
    for (const file of ['admin-openrc.sh', 'clouds.yaml']) {
      expect((await stat(join(dataDir, file))).mode & 0o777).toBe(0o600)
    }
    firstPassword = await openrcPassword()
    expect(firstPassword).toMatch(/^[\w-]{32}$/)
    const clouds = parse(await readFile(join(dataDir, 'clouds.yaml'), 'utf8'))
    expect(clouds.clouds.nubis.auth).toMatchObject({
      password: firstPassword,
      auth_url: `${url}/identity/v3`,
    })

    expect(await stop(cli)).toBe(0)
    // Exactly one line shows it, the banner's; the JSON log lines never do.
    expect(count(cli.output(), firstPassword)).toBe(1)
    const line = cli
      .output()
      .split('\n')
      .find((l) => l.includes(firstPassword))
    expect(line).toMatch(/^ {2}admin {8}user admin, project admin, domain Default, password: /)
  })

  it('creates the admin as a real user whose password is stored only as an argon2id hash', async () => {
    const cloud = await createCloud({ store: sqliteStore({ path: join(dataDir, 'nubis.db') }) })
    try {
      const record = JSON.parse((await cloud.settings.get(BOOTSTRAP_ADMIN_KEY))!)
      expect(record).toMatchObject({ user: 'admin', project: 'admin', domain: 'Default' })
      const row = await cloud.store.db
        .selectFrom('identity_users')
        .select(['id', 'password_hash'])
        .where('name', '=', 'admin')
        .executeTakeFirstOrThrow()
      expect(row.id).toBe(record.userId)
      expect(row.password_hash).toMatch(/^\$argon2id\$/)
      expect(JSON.stringify(record)).not.toContain(firstPassword)
      const login = await cloud.identity.authenticate({
        identity: { methods: ['password'], password: { user: { id: row.id, password: firstPassword } } },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      })
      expect(login.roles.map((role) => role.name)).toContain('admin')
    } finally {
      await cloud.close()
    }
  })

  it('keeps the password on a later start and never prints it again', async () => {
    const { cli, url } = await serve({ NUBIS_ADMIN_PASSWORD: 'ignored-now' })
    expect(cli.stdout()).toContain('password not shown again')
    expect(await openrcPassword()).toBe(firstPassword)
    expect(await readFile(join(dataDir, 'admin-openrc.sh'), 'utf8')).toContain(
      `OS_AUTH_URL=${url}/identity/v3`,
    )
    expect(await stop(cli)).toBe(0)
    expect(cli.output()).not.toContain(firstPassword)
    expect(cli.output()).not.toContain('ignored-now')
  })

  it('reads its settings from NUBIS_* and never prints a password given in NUBIS_ADMIN_PASSWORD', async () => {
    const fresh = join(dataDir, '..', 'from-env')
    const port = await freePort()
    const cli = startCli(['serve'], {
      NUBIS_PORT: String(port),
      NUBIS_DATA_DIR: fresh,
      NUBIS_ADMIN_PASSWORD: 'chosen-by-operator',
    })
    running.push(cli)
    await cli.waitFor('Press Ctrl+C to stop.')
    expect(cli.stdout()).toContain(`port ${port} (from NUBIS_PORT)`)
    expect(cli.stdout()).toContain('(from NUBIS_DATA_DIR)')
    expect(cli.stdout()).toContain('password: (from NUBIS_ADMIN_PASSWORD)')
    expect(await readFile(join(fresh, 'admin-openrc.sh'), 'utf8')).toContain('OS_PASSWORD=chosen-by-operator')
    cli.child.kill('SIGINT')
    expect(await cli.exited).toBe(0)
    expect(cli.output()).not.toContain('chosen-by-operator')
  })

  it('fails with one clear line and exit code 1 when the port is taken', async () => {
    const blocker = createServer().listen(0, '127.0.0.1')
    await once(blocker, 'listening')
    const { port } = blocker.address() as { port: number }
    try {
      const result = await runCli(['serve', '--port', String(port), '--data-dir', dataDir])
      expect(result.code).toBe(1)
      expect(result.stderr.trim()).toBe(
        `nubis: port ${port} on 127.0.0.1 is already in use: pick another with --port or NUBIS_PORT`,
      )
    } finally {
      blocker.close()
    }
  })

  it('rejects a port that is not a number', async () => {
    const result = await runCli(['serve', '--port', 'http'])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('expected a port number')
  })
})

describe('nubis doctor', () => {
  it('--json lists every probe with available true or false', async () => {
    const result = await runCli(['doctor', '--json'])
    expect(result.code).toBe(0)
    const probes = JSON.parse(result.stdout) as { name: string; available: unknown; reason?: string }[]
    expect(probes.map((probe) => probe.name)).toEqual(PROBES.map((probe) => probe.name))
    for (const probe of probes) {
      expect(typeof probe.available).toBe('boolean')
      if (!probe.available) expect(probe.reason).toBeTruthy()
    }
  })

  it('prints one line per probe as text, then what the network driver of nubis serve does', async () => {
    const result = await runCli(['doctor'])
    expect(result.code).toBe(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines).toHaveLength(PROBES.length + 2)
    expect(lines.at(-1)).toMatch(
      /^ {2}network driver of nubis serve: records only, no data plane: packets do not flow \(driver state-only\); the vxlan driver/,
    )
  })
})
