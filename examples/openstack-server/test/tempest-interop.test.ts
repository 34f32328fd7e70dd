// Tempest's interop 2020.06 tests of the services Nubis serves (identity: 7, image: 20) against `nubis serve`,
// through test/tempest/configure.sh and run.sh. By hand: `npm run tempest -- --service identity,image`.
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
const SERVICES = { identity: 7, image: 20 }
const SERVICE_LIST = Object.keys(SERVICES).join(',')
const INTEROP_TESTS = Object.values(SERVICES).reduce((a, b) => a + b, 0)
const RUN_TIMEOUT_MS = 5 * 60_000

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
