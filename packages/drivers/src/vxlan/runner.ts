import type { RunResult } from '@nubis/sdk'
import type { DriverConfig, HostConfig } from './options.js'

/**
 * How the driver talks to one host during one call: every command goes through the host's Transport, bounded
 * by the driver's `commandTimeoutMs` and the call's signal. Commands that change the host go through
 * {@link Runner.change}, which counts them: that count is the `changes` of `applyHost`, so a re-apply that
 * only reads reports 0.
 */
export interface Runner {
  readonly host: HostConfig
  readonly config: DriverConfig
  /** How many changing commands were issued so far. */
  readonly changes: number
  /** Runs a read-only command that must succeed and returns its stdout. */
  read(argv: readonly string[]): Promise<string>
  /** Runs a read-only command and reports how it ended, whatever its exit code. */
  probe(argv: readonly string[]): Promise<RunResult>
  /** Runs a command that changes the host; exit codes other than 0 and `okCodes` throw `DRIVER_FAILED`. */
  change(argv: readonly string[], options?: ChangeOptions): Promise<RunResult>
}

/** Options of {@link Runner.change}. */
export interface ChangeOptions {
  /** Text fed to the command (iptables-restore, ipset restore, file contents). */
  stdin?: string
  /** Exit codes that mean "nothing to do" rather than failure. */
  okCodes?: readonly number[]
}

/** Makes the runner of one call on `host`. */
export function createRunner(config: DriverConfig, host: HostConfig, signal?: AbortSignal): Runner {
  const base = { timeoutMs: config.commandTimeoutMs, ...(signal && { signal }) }
  let changes = 0
  return {
    host,
    config,
    get changes() {
      return changes
    },
    async read(argv) {
      return (await host.transport.exec(argv, base)).stdout
    },
    probe: (argv) => host.transport.run(argv, base),
    async change(argv, options = {}) {
      changes++
      return host.transport.exec(argv, {
        ...base,
        ...(options.stdin !== undefined && { stdin: options.stdin }),
        ...(options.okCodes && { okExitCodes: options.okCodes }),
      })
    },
  }
}

/** `argv` run inside network namespace `namespace` (for tools without `-n`: iptables, sysctl, dnsmasq…). */
export function inNamespace(namespace: string, argv: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', namespace, ...argv]
}

/** `ip` arguments for namespace `namespace`, or for the host itself when it is null. */
export function ipIn(namespace: string | null, ...args: string[]): string[] {
  return namespace === null ? ['ip', ...args] : ['ip', '-n', namespace, ...args]
}

/** Parses the JSON that `ip -j` / `bridge -j` print; empty output is an empty list. */
export function parseJsonList<T>(stdout: string): T[] {
  const text = stdout.trim()
  if (text === '') return []
  // iproute2 6.1 prints `{}` for links a filter skipped: drop them.
  return (JSON.parse(text) as T[]).filter((item) => item !== null && Object.keys(item as object).length > 0)
}
