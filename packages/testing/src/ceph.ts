import { execFile, spawnSync } from 'node:child_process'
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Ceph cluster the test run shares (see test/global-setup.ts), or why there is none. */
    ceph: CephInfo | { unavailable: string }
  }
}

/** Where a throwaway cluster started by {@link startCeph} is, and how to reach it. Plain data. */
export interface CephInfo {
  /** The cluster's directory: conf, keyring, daemon data, logs (`log/`) and PID files (`run/`). */
  dir: string
  /** Its `ceph.conf`; pass it with `-c` (or as `CEPH_CONF`) to every ceph tool and to librados. */
  conf: string
  /** Keyring holding `client.admin`. */
  keyring: string
  /** The cluster's fsid. */
  fsid: string
  /** Ports used: mon on `portBase` and `portBase + 1`, OSD `+10..+29`, radosgw `+80`. */
  portBase: number
  /** radosgw's base URL (S3 at `/`, Swift auth v1 at `/auth/1.0`, Admin Ops at `/admin/`). */
  rgwUrl: string
  /** S3 keys of the RGW user `nubis` (which also has the admin caps users, buckets, metadata, usage). */
  s3: { accessKey: string; secretKey: string }
  /** Swift v1 credentials of the subuser `nubis:swift`. */
  swift: { user: string; key: string }
}

/** A running cluster from {@link startCeph}. */
export interface CephCluster extends CephInfo {
  /** Stops the daemons (by their recorded PIDs) and removes the directory. Safe to call twice. */
  stop(): Promise<void>
}

/** Options of {@link startCeph}. */
export interface StartCephOptions {
  /**
   * First of the ports the cluster takes (see {@link CephInfo.portBase}). Default: a free block of 100 picked
   * at random in 20000–26699, below Linux's ephemeral range (32768–60999, where every port-0 listener of the
   * tests lands) and clear of 26800, the by-hand default of up.sh; another block is tried when one is taken.
   */
  portBase?: number
  /** OSD capacity, held in RAM (memstore); default 1 GiB. Keep test data well below it. */
  memstoreBytes?: number
  /** Seconds to wait for each start-up step; default 30. */
  timeoutSeconds?: number
}

/** Programs the cluster needs, and the Debian package of each. */
const PROGRAMS: Record<string, string> = {
  'ceph-mon': 'ceph-mon',
  'ceph-osd': 'ceph-osd',
  ceph: 'ceph-common',
  rbd: 'ceph-common',
  'ceph-authtool': 'ceph-common',
  monmaptool: 'ceph-common',
  radosgw: 'radosgw',
  'radosgw-admin': 'radosgw',
  uuidgen: 'uuid-runtime',
  curl: 'curl',
}

const AUTO_BASES = { first: 20_000, last: 26_600, step: 100, attempts: 5 }

const running = new Set<string>()
let exitHookInstalled = false

/**
 * Why a throwaway Ceph cluster cannot be started here, or `undefined` when every program it needs is
 * installed. Tests that need Ceph skip with this reason in their name.
 */
export function cephAvailable(): string | undefined {
  const missing = Object.keys(PROGRAMS).filter((program) => !onPath(program))
  if (missing.length === 0) return undefined
  const packages = [...new Set(missing.map((program) => PROGRAMS[program]))].join(' ')
  return `needs Ceph (apt ceph-mon ceph-osd ceph-common radosgw): ${missing.join(', ')} not found; apt-get install ${packages}`
}

/**
 * Starts a throwaway single-node Ceph 16 cluster — one monitor, one OSD keeping its data in RAM, radosgw —
 * in a fresh temporary directory, listening on 127.0.0.1 only, with pool `rbd` and an S3/Swift user. It
 * runs `ceph/up.sh` of this package (about 2–3 s) and stops with `ceph/down.sh`; a process that exits
 * without calling `stop()` stops its clusters on the way out.
 *
 * @example
 * const cluster = await startCeph()
 * const images = ceph.rbdImages({ pool: 'rbd', conf: cluster.conf, keyring: cluster.keyring })
 * // …
 * await cluster.stop()
 */
export async function startCeph(options: StartCephOptions = {}): Promise<CephCluster> {
  const reason = cephAvailable()
  if (reason) throw new Error(`Cannot start Ceph: ${reason}`)
  if (options.portBase !== undefined) return startOnce(options.portBase, options)
  const blocks = (AUTO_BASES.last - AUTO_BASES.first) / AUTO_BASES.step + 1
  const start = Math.floor(Math.random() * blocks)
  let lastError: unknown
  for (let attempt = 0; attempt < AUTO_BASES.attempts; attempt++) {
    // Spread attempts over the range so that two runs starting together part ways after one clash.
    const block = (start + attempt * 7) % blocks
    try {
      return await startOnce(AUTO_BASES.first + block * AUTO_BASES.step, options)
    } catch (error) {
      if (!(error instanceof PortInUseError)) throw error
      lastError = error
    }
  }
  throw lastError
}

/** up.sh found a port of the block taken (or a daemon could not bind it): another block may do. */
class PortInUseError extends Error {}

async function startOnce(portBase: number, options: StartCephOptions): Promise<CephCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'nubis-ceph-'))
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CEPH_DIR: dir,
    CEPH_PORT_BASE: String(portBase),
    ...(options.memstoreBytes !== undefined && { CEPH_MEMSTORE_BYTES: String(options.memstoreBytes) }),
    ...(options.timeoutSeconds !== undefined && { CEPH_UP_TIMEOUT: String(options.timeoutSeconds) }),
  }
  // up.sh tears down what it started when it fails, and prints the daemons' log tails on stderr.
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(
      'bash',
      [join(scriptsDir(), 'up.sh')],
      { env, maxBuffer: 16 * 1024 * 1024 },
      (error, _out, err) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
        resolve({ code, stderr: String(err) })
      },
    )
  })
  if (result.code !== 0) {
    rmSync(dir, { recursive: true, force: true })
    const message = `Ceph did not start (up.sh exit ${result.code}, ports ${portBase}+):\n${result.stderr}`
    const clash = /already in use|Address already in use|unable to bind/i.test(result.stderr)
    throw clash ? new PortInUseError(message) : new Error(message)
  }
  running.add(dir)
  installExitHook()
  const info = readCephEnv(dir, portBase)
  let stopped: Promise<void> | undefined
  return {
    ...info,
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        execFile('bash', [join(scriptsDir(), 'down.sh'), dir], (error, _out, stderr) => {
          running.delete(dir)
          if (error) reject(new Error(`Ceph did not stop cleanly: ${stderr || error.message}`))
          else resolve()
        })
      })
      return stopped
    },
  }
}

/** Reads the `env` file up.sh wrote in `dir` (lines `export NAME=value`) and the fsid of its conf. */
export function readCephEnv(dir: string, portBase?: number): CephInfo {
  const vars = new Map<string, string>()
  for (const line of readFileSync(join(dir, 'env'), 'utf8').split('\n')) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line)
    if (match) vars.set(match[1] as string, match[2] as string)
  }
  const get = (name: string): string => {
    const value = vars.get(name)
    if (!value) throw new Error(`${join(dir, 'env')} has no ${name}`)
    return value
  }
  const conf = get('CEPH_CONF')
  const confText = readFileSync(conf, 'utf8')
  const fsid = /^\s*fsid\s*=\s*(\S+)/m.exec(confText)?.[1]
  const monPort = /v1:127\.0\.0\.1:(\d+)/.exec(confText)?.[1]
  if (!fsid || !monPort) throw new Error(`${conf} names no fsid or mon address`)
  return {
    dir: get('CEPH_DIR'),
    conf,
    keyring: get('CEPH_KEYRING'),
    fsid,
    portBase: portBase ?? Number(monPort),
    rgwUrl: get('CEPH_RGW_URL'),
    s3: { accessKey: get('CEPH_S3_ACCESS_KEY'), secretKey: get('CEPH_S3_SECRET_KEY') },
    swift: { user: get('CEPH_SWIFT_USER'), key: get('CEPH_SWIFT_KEY') },
  }
}

/**
 * The Ceph cluster the test run shares, as provided by the global setup, or why there is none. A cluster
 * started by hand (`packages/testing/ceph/up.sh`) is used instead when `NUBIS_TEST_CEPH_DIR` names its dir.
 */
export async function sharedCeph(): Promise<CephInfo | { unavailable: string }> {
  const fromEnv = process.env.NUBIS_TEST_CEPH_DIR
  if (fromEnv) return readCephEnv(fromEnv)
  // Imported lazily: @nubis/testing must stay usable outside a vitest run.
  const { inject } = await import('vitest')
  return (
    inject('ceph') ?? {
      unavailable:
        'no test Ceph cluster: run the tests with the repository vitest config (its globalSetup starts one)',
    }
  )
}

/**
 * The package's `ceph/` directory. Found by walking up from this module to the package root, so it works
 * from `src/` (tests run the sources) and from the bundle in `dist/` alike.
 */
function scriptsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'ceph', 'up.sh')
    if (existsSync(candidate) && existsSync(join(dir, 'package.json'))) return join(dir, 'ceph')
    const parent = dirname(dir)
    if (parent === dir) throw new Error('ceph/up.sh of @nubis/testing was not found next to its package.json')
    dir = parent
  }
}

function onPath(program: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    try {
      accessSync(join(dir, program), constants.X_OK)
      return true
    } catch {
      // not in this dir
    }
  }
  return false
}

/** A test run killed halfway must not leave daemons behind: stop ours (by their recorded PIDs) on exit. */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const dir of running) spawnSync('bash', [join(scriptsDir(), 'down.sh'), dir], { stdio: 'ignore' })
  })
}
