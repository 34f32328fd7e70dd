#!/usr/bin/env node
import { createRequire } from 'node:module'
import { Command, InvalidArgumentError, Option } from 'commander'
import { formatDoctor, runDoctor } from './doctor.js'

// src/ and dist/ are both one level below the package, so this works from the sources and from the build.
const { version } = createRequire(import.meta.url)('../package.json') as { version: string }

/** Defaults of `nubis serve`, also documented in the README. */
const DEFAULTS = { port: 8080, host: '127.0.0.1', dataDir: '.nubis' } as const

function parsePort(value: string): number {
  const port = Number(value)
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('expected a port number, 0-65535')
  return port
}

/** The secret is read once and removed, so child processes (the doctor's probes) do not inherit it. */
function takeAdminPassword(): string | undefined {
  const password = process.env.NUBIS_ADMIN_PASSWORD
  delete process.env.NUBIS_ADMIN_PASSWORD
  return password === '' ? undefined : password
}

const program = new Command('nubis')
  .description('The example Nubis cloud: an OpenStack-class control plane in one process')
  .version(version)
  .showHelpAfterError()

program
  .command('serve')
  .description('run the cloud server (state in --data-dir, admin credentials written there on first start)')
  .addOption(
    new Option('-p, --port <port>', 'TCP port (0: any free port)')
      .env('NUBIS_PORT')
      .default(DEFAULTS.port)
      .argParser(parsePort),
  )
  .addOption(new Option('--host <address>', 'address to listen on').env('NUBIS_HOST').default(DEFAULTS.host))
  .addOption(
    new Option('-d, --data-dir <dir>', 'state store, admin-openrc.sh and clouds.yaml')
      .env('NUBIS_DATA_DIR')
      .default(DEFAULTS.dataDir),
  )
  .addHelpText(
    'after',
    '\nAlso read: NUBIS_ADMIN_PASSWORD (first start only), NUBIS_LOG_LEVEL (default info).',
  )
  .action(async (options: { port: number; host: string; dataDir: string }, command: Command) => {
    // Loaded here so that `nubis doctor` and `--help` start without the store, fastify and argon2.
    const [{ runServe }, { createLogger }] = await Promise.all([
      import('./serve.js'),
      import('@nubis/openstack-api'),
    ])
    const logger = createLogger({ level: process.env.NUBIS_LOG_LEVEL || 'info' })
    const code = await runServe({
      ...options,
      sources: {
        port: command.getOptionValueSource('port'),
        host: command.getOptionValueSource('host'),
        dataDir: command.getOptionValueSource('dataDir'),
      },
      adminPassword: takeAdminPassword(),
      version,
      logger,
    })
    process.exit(code)
  })

program
  .command('doctor')
  .description('check which real back ends (libvirt, Ceph, LVM, VXLAN …) this machine could use')
  .option('--json', 'print the results as JSON')
  .action(async (options: { json?: boolean }) => {
    const results = await runDoctor()
    if (options.json) {
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
      return
    }
    // Loaded only here: the driver serve runs comes from the SDK, which `--help` need not load.
    const { serveNetworkDriver } = await import('./network.js')
    process.stdout.write(formatDoctor(results, serveNetworkDriver()))
  })

try {
  await program.parseAsync()
} catch (error) {
  // Expected failures get one line; anything else keeps its stack, which is what a bug report needs.
  // StartupError is matched by name: serve.js (which defines it) is loaded lazily.
  const expected = error instanceof Error && error.name === 'StartupError'
  process.stderr.write(`nubis: ${expected ? error.message : String((error as Error)?.stack ?? error)}\n`)
  process.exit(1)
}
