import { chmod, mkdir, stat } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'
import { localImageStore } from '@nubis/drivers/local'
import { createApiServer, glanceApi, keystoneApi, neutronApi } from '@nubis/openstack-api'
import { type Cloud, createCloud, sqliteStore } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { type BannerInput, formatBanner } from './banner.js'
import { bootstrapAdmin } from './bootstrap.js'
import { syncCatalog } from './catalog.js'
import { baseUrlFor } from './credentials.js'
import { runDoctor } from './doctor.js'
import { serveNetworkDriver } from './network.js'

/** The state store's file name inside the data dir. */
export const DB_FILE = 'nubis.db'

/** Options of {@link serve}. */
export interface ServeOptions {
  port: number
  host: string
  dataDir: string
  /** Where each setting came from, for the banner. */
  sources: BannerInput['sources']
  /** Admin password for the first start (`NUBIS_ADMIN_PASSWORD`); generated when absent. */
  adminPassword?: string
  version: string
  logger: Logger
  /** Where the banner goes; default stdout. */
  out?: NodeJS.WritableStream
}

/** A server that is listening; `close` stops it and then closes the cloud. */
export interface RunningServer {
  app: FastifyInstance
  cloud: Cloud
  url: string
  close(): Promise<void>
}

/** A start-up failure with a message fit to print as is (port in use, unreadable data dir …). */
export class StartupError extends Error {
  override readonly name = 'StartupError'
}

/** Creates the data dir owner-only; an existing one is left alone but a loose mode is reported. */
async function prepareDataDir(dataDir: string, logger: Logger): Promise<void> {
  try {
    if (await mkdir(dataDir, { recursive: true, mode: 0o700 })) await chmod(dataDir, 0o700)
    const { mode } = await stat(dataDir)
    if (mode & 0o077)
      logger.warn({ dataDir }, 'the data dir is readable by other users; it holds the admin password')
  } catch (error) {
    throw new StartupError(`cannot use the data dir ${dataDir}: ${(error as Error).message}`)
  }
}

/** Why `listen` failed, in one line the user can act on. */
function listenFailure(error: unknown, host: string, port: number): StartupError | undefined {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EADDRINUSE') {
    return new StartupError(
      `port ${port} on ${host} is already in use: pick another with --port or NUBIS_PORT`,
    )
  }
  if (code === 'EACCES')
    return new StartupError(`not allowed to listen on port ${port}: use a port above 1023`)
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new StartupError(`cannot listen on ${host}: not an address of this machine`)
  }
  return undefined
}

/**
 * Starts the example cloud: data dir, SQLite state store, HTTP server, bootstrap admin and the banner.
 * Bootstrap runs after `listen` so the credential files carry the port actually bound (`--port 0`).
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const { logger } = options
  const dataDir = resolve(options.dataDir)
  const dbPath = join(dataDir, DB_FILE)
  const probes = runDoctor()
  await prepareDataDir(dataDir, logger)
  const cloud = await createCloud({
    store: sqliteStore({ path: dbPath }),
    // Image data lives beside the state store; glance-direct uploads are staged in their own directory.
    image: {
      stores: { local: localImageStore({ dir: join(dataDir, 'images') }) },
      staging: localImageStore({ dir: join(dataDir, 'staging') }),
    },
    network: { driver: serveNetworkDriver() },
  })
  const app = createApiServer({ cloud, logger })
  try {
    await app.register(keystoneApi, { prefix: '/identity', cloud })
    await app.register(glanceApi, { prefix: '/image', cloud })
    await app.register(neutronApi, { prefix: '/network', cloud })
    await app.listen({ port: options.port, host: options.host })
  } catch (error) {
    await app.close().catch(() => {})
    await cloud.close()
    throw listenFailure(error, options.host, options.port) ?? error
  }
  const port = (app.server.address() as AddressInfo).port
  const url = baseUrlFor(options.host, port)
  const close = async () => {
    await app.close()
    await cloud.close()
  }
  try {
    const admin = await bootstrapAdmin(cloud, {
      dataDir,
      host: options.host,
      port,
      password: options.adminPassword,
    })
    await syncCatalog(cloud, url)
    const { version, host, sources } = options
    const banner: BannerInput = {
      version,
      url,
      host,
      port,
      dataDir,
      dbPath,
      sources,
      probes: await probes,
      network: cloud.network.driver,
      admin,
    }
    ;(options.out ?? process.stdout).write(formatBanner(banner))
  } catch (error) {
    await close()
    throw error
  }
  return { app, cloud, url, close }
}

/** Resolves with the first SIGINT or SIGTERM. */
function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGINT', handler)
      process.off('SIGTERM', handler)
      resolve(signal)
    }
    process.on('SIGINT', handler)
    process.on('SIGTERM', handler)
  })
}

/** How long a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000

/**
 * `nubis serve`: runs until SIGINT/SIGTERM, then closes the server (in-flight requests finish) and the cloud.
 * Resolves with the exit code: 0 after a clean shutdown, 1 when it failed or a second signal forced it.
 */
export async function runServe(options: ServeOptions): Promise<number> {
  // Listen for signals before anything is printed: until a listener exists the kernel's default action ends the
  // process at once, so a SIGTERM sent right after the banner would skip the graceful shutdown.
  const signalled = nextSignal()
  const running = await serve(options)
  const signal = await signalled
  options.logger.info({ signal }, 'shutting down')
  const forced = new Promise<number>((resolve) => {
    const force = () => resolve(1)
    process.once('SIGINT', force)
    process.once('SIGTERM', force)
    setTimeout(force, SHUTDOWN_DEADLINE_MS).unref()
  })
  const closed = running.close().then(
    () => 0,
    (error: unknown) => {
      options.logger.error({ err: error }, 'shutdown failed')
      return 1
    },
  )
  return Promise.race([closed, forced])
}
