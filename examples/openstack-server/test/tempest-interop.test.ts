// Tempest's interop 2020.06 tests of the services Nubis serves (identity: 7, image: 20, network: 61) against
// `nubis serve`, through test/tempest/configure.sh and run.sh. By hand:
// `npm run tempest -- --service identity,image,network`.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  describeRun,
  missingBinary,
  type NubisServer,
  ROOT,
  runTool,
  startNubis,
  TEMPEST,
  toolEnv,
} from './openstack-tools.js'

const skipReason = missingBinary(TEMPEST)
const SCRIPTS = join(ROOT, 'test', 'tempest')
/** The services served so far and their tests in the interop 2020.06 platform list (test/tempest/platform-2020.06.tsv). */
const SERVICES = { identity: 7, image: 20, network: 61 }
const SERVICE_LIST = Object.keys(SERVICES).join(',')
const INTEROP_TESTS = Object.values(SERVICES).reduce((a, b) => a + b, 0)
// Network tests make many resources per class (dynamic credentials, isolated networks): the run takes minutes.
const RUN_TIMEOUT_MS = 20 * 60_000

/**
 * Makes the external network (with a subnet) Tempest's `public_network_id` names: without one, two interop network
 * tests skip and the routers of Tempest's isolated networks have no gateway. Made over the REST API as the admin.
 */
async function createPublicNetwork(server: NubisServer): Promise<string> {
  const auth = await fetch(`${server.authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { id: 'default' }, password: server.password } },
        },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  })
  const token = auth.headers.get('x-subject-token')
  if (auth.status !== 201 || !token) throw new Error(`admin token: ${auth.status} ${await auth.text()}`)
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${server.url}/network/v2.0/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-token': token },
      body: JSON.stringify(body),
    })
    const text = await response.text()
    if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${text}`)
    return JSON.parse(text) as Record<string, { id: string }>
  }
  const { network } = await post('networks', { network: { name: 'public', 'router:external': true } })
  await post('subnets', {
    subnet: { network_id: network!.id, ip_version: 4, cidr: '172.24.4.0/24', enable_dhcp: false },
  })
  return network!.id
}

/** The last "N passed, N failed, N skipped" line run.sh prints. */
function finalCounts(output: string): { passed: number; failed: number; skipped: number } | undefined {
  const lines = [...output.matchAll(/^(\d+) passed, (\d+) failed, (\d+) skipped$/gm)]
  const last = lines.at(-1)
  if (!last) return undefined
  return { passed: Number(last[1]), failed: Number(last[2]), skipped: Number(last[3]) }
}

/** The failures and skips run.sh recorded in results/<stamp>/summary.json, for the assertion message. */
async function summaryDetails(tempestDir: string): Promise<string> {
  const stamps = await readdir(join(tempestDir, 'results')).catch(() => [] as string[])
  const latest = stamps.sort().at(-1)
  if (!latest) return '(no results directory)'
  const text = await readFile(join(tempestDir, 'results', latest, 'summary.json'), 'utf8').catch(() => '')
  if (!text) return `(no summary.json in results/${latest})`
  const summary = JSON.parse(text) as {
    failed: { test: string; traceback: string }[]
    skipped: { test: string; reason: string }[]
  }
  return [
    ...summary.failed.map((f) => `FAILED ${f.test}\n${f.traceback.slice(-1500)}`),
    ...summary.skipped.map((s) => `SKIPPED ${s.test}: ${s.reason}`),
  ].join('\n\n')
}

describe.skipIf(skipReason !== undefined)(
  `tempest: interop tests (${SERVICE_LIST}) against nubis serve${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    let server: NubisServer
    let tempestDir: string

    beforeAll(async () => {
      server = await startNubis()
      tempestDir = join(server.work, 'tempest')
    })
    afterAll(async () => {
      await server?.close()
    })

    it(
      `passes the ${INTEROP_TESTS} ${SERVICE_LIST} tests of interop 2020.06`,
      async () => {
        const env = toolEnv(server.home, {
          TEMPEST_DIR: tempestDir,
          TEMPEST_SERVICES: SERVICE_LIST,
          OS_AUTH_URL: server.authUrl,
          OS_USERNAME: 'admin',
          OS_PASSWORD: server.password,
          OS_PROJECT_NAME: 'admin',
          PUBLIC_NETWORK_ID: await createPublicNetwork(server),
        })
        const configure = await runTool('bash', [join(SCRIPTS, 'configure.sh')], { env, timeoutMs: 60_000 })
        expect(configure.code, describeRun('configure.sh', configure)).toBe(0)

        const run = await runTool('bash', [join(SCRIPTS, 'run.sh'), '--service', SERVICE_LIST], {
          env,
          timeoutMs: RUN_TIMEOUT_MS,
        })
        const output = `${run.stdout}${run.stderr}`
        const counts = finalCounts(run.stdout)
        const message = [
          describeRun(`run.sh --service ${SERVICE_LIST}`, run),
          '--- tempest summary',
          await summaryDetails(tempestDir),
          '--- server output (last 4000 characters)',
          server.cli.output().slice(-4000),
        ].join('\n')
        expect(counts, message).toBeDefined()
        expect(counts?.failed, message).toBe(0)
        expect(counts?.passed, message).toBe(INTEROP_TESTS)
        expect(run.code, message).toBe(0)
        expect(output).toContain(
          `interop 2020.06 platform: ${INTEROP_TESTS} of ${INTEROP_TESTS} required tests passed`,
        )
      },
      RUN_TIMEOUT_MS + 90_000,
    )
  },
)
