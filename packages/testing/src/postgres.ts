import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

/** A PostgreSQL server started by {@link startPostgres}. */
export interface PostgresServer {
  /** Admin connection URL (user `postgres`, database `postgres`, no password). */
  readonly url: string
  readonly port: number
  /** PID of the running postmaster; changes on {@link PostgresServer.restart}. */
  readonly pid: number
  /** The cluster's data directory. */
  readonly dataDir: string
  /**
   * Stops the server (fast shutdown: SIGINT to its PID, open sessions are terminated) and waits for it to exit.
   * With `keepData` the cluster stays on disk for {@link PostgresServer.restart}; otherwise its temporary
   * directory is removed and the server cannot be started again.
   */
  stop(options?: { keepData?: boolean }): Promise<void>
  /** Starts the server again on the same port and data (stopping it first when it runs). */
  restart(): Promise<void>
}

/** Options of {@link startPostgres}. */
export interface StartPostgresOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>
  /** How long to wait for the server to accept connections. Default 30000 ms. */
  startTimeoutMs?: number
}

/** Where the PostgreSQL programs live. */
export interface PostgresBinaries {
  bindir: string
  initdb: string
  postgres: string
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false

/**
 * Finds `initdb` and `postgres`: `pg_config --bindir` first, else the highest `/usr/lib/postgresql/<n>/bin`.
 * Throws an error naming the Debian package to install when there are none.
 */
export function findPostgresBinaries(): PostgresBinaries {
  const candidates: string[] = []
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: 'pipe' }).trim())
  } catch {
    // pg_config is in libpq-dev / postgresql-common; its absence is not conclusive.
  }
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    candidates.push(...versions.map((version) => join(root, version, 'bin')))
  }
  for (const bindir of candidates) {
    const initdb = join(bindir, 'initdb')
    const postgres = join(bindir, 'postgres')
    if (existsSync(initdb) && existsSync(postgres)) return { bindir, initdb, postgres }
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, postgres) were not found via `pg_config --bindir` or in ' +
      '/usr/lib/postgresql/*/bin. Install them, e.g. `apt-get install postgresql` on Debian.',
  )
}

/**
 * Starts a real, throw-away PostgreSQL server for tests: a fresh cluster (`initdb`, trust auth) in a new
 * temporary directory, listening on a free port of 127.0.0.1, tuned for speed over durability (`fsync=off`)
 * and with `max_connections=200`. When the tests run as root the server runs as the unprivileged `postgres`
 * user, since PostgreSQL refuses to run as root.
 *
 * @example
 * const server = await startPostgres()
 * const store = postgresStore({ url: server.url })
 * // …
 * await server.stop()
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binaries = findPostgresBinaries()
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined
  const dir = mkdtempSync(join(tmpdir(), 'nubis-pg-'))
  const dataDir = join(dir, 'data')
  try {
    if (owner) chownSync(dir, owner.uid, owner.gid)
    await promisify(execFile)(
      binaries.initdb,
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { cwd: dir, ...owner },
    ).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`initdb failed: ${error.stderr || error.message}`)
    })
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }

  const port = await freePort()
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  const logPath = join(dir, 'postgres.log')
  const args = ['-D', dataDir, '-p', String(port), '-k', dir, '-h', '127.0.0.1']
  // Durability is worthless for a throw-away server; a short deadlock_timeout keeps deadlock tests quick.
  const settings = {
    fsync: 'off',
    full_page_writes: 'off',
    synchronous_commit: 'off',
    max_connections: 200,
    deadlock_timeout: '100ms',
  }
  for (const [name, value] of Object.entries({ ...settings, ...options.settings }))
    args.push('-c', `${name}=${value}`)
  const timeoutMs = options.startTimeoutMs ?? 30_000

  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let removed = false

  const launch = async (): Promise<void> => {
    const log = openSync(logPath, 'a')
    const started = spawn(binaries.postgres, args, { cwd: dir, stdio: ['ignore', log, log], ...owner })
    closeSync(log)
    child = started
    running.add(started)
    installExitHook()
    exited = new Promise((resolve) => started.once('exit', () => resolve()))
    void exited.then(() => running.delete(started))
    try {
      await waitUntilReady(url, started, timeoutMs)
    } catch (error) {
      await signalAndWait(started, exited)
      const tail = readFileSync(logPath, 'utf8').split('\n').slice(-15).join('\n')
      throw new Error(`PostgreSQL did not start: ${(error as Error).message}\n${tail}`)
    }
  }

  const server: PostgresServer = {
    url,
    port,
    dataDir,
    get pid() {
      return child?.pid ?? -1
    },
    async stop(stopOptions = {}) {
      if (child && child.exitCode === null && child.signalCode === null) await signalAndWait(child, exited)
      if (!stopOptions.keepData && !removed) {
        removed = true
        rmSync(dir, { recursive: true, force: true })
      }
    },
    async restart() {
      if (removed) throw new Error('This PostgreSQL server was stopped for good; start a new one')
      await server.stop({ keepData: true })
      await launch()
    },
  }
  try {
    await launch()
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return server
}

/** A database created by {@link createTestDatabase}. */
export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string
  name: string
  /** Drops the database, closing any sessions still connected to it. */
  drop(): Promise<void>
}

/** Creates a fresh, uniquely named database on the server of `adminUrl`. */
export async function createTestDatabase(adminUrl: string): Promise<TestDatabase> {
  const name = `nubis_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
  await withAdmin(adminUrl, (client) => client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`))
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
    drop: () =>
      withAdmin(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`),
      ),
  }
}

async function withAdmin(adminUrl: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'nubis-testing' })
  client.on('error', () => {}) // a server going away must not crash the test process
  await client.connect()
  try {
    await work(client)
  } finally {
    await client.end()
  }
}

/** Sends SIGINT (fast shutdown) to exactly this process; escalates to SIGQUIT, then SIGKILL, if it lingers. */
async function signalAndWait(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const steps: Array<[NodeJS.Signals, number]> = [
    ['SIGINT', 20_000],
    ['SIGQUIT', 5_000],
    ['SIGKILL', 5_000],
  ]
  for (const [signal, waitMs] of steps) {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill(signal)
    let timer: NodeJS.Timeout | undefined
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), waitMs)
      }),
    ])
    clearTimeout(timer)
    if (!timedOut) return
  }
}

async function waitUntilReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the server exited (code ${child.exitCode}, signal ${child.signalCode})`)
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.query('select 1')
      await client.end()
      return
    } catch (error) {
      last = error
      await client.end().catch(() => {})
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`no connection within ${timeoutMs} ms: ${(last as Error | undefined)?.message}`)
}

function postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'))
  const [, , uid, gid] = line?.split(':') ?? []
  if (!uid || !gid) {
    throw new Error(
      'PostgreSQL refuses to run as root and there is no `postgres` user to run it as; ' +
        'installing the Debian package `postgresql` creates one.',
    )
  }
  return { uid: Number(uid), gid: Number(gid) }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

/** A test run killed halfway must not leave servers behind: kill ours (by PID) when the process exits. */
function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const child of running) child.kill('SIGQUIT')
  })
}
