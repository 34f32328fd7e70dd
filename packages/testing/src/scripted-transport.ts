import { AssertionError } from 'node:assert'
import { isDeepStrictEqual } from 'node:util'
import {
  abortError,
  assertArgv,
  type Clock,
  defineTransport,
  type RunOptions,
  type RunResult,
  systemClock,
  type Transport,
} from '@nubis/sdk'

/** One expected command and the answer to give. */
export interface ScriptStep {
  /** The exact argv expected, or a predicate for argvs that vary (generated names, temp paths). */
  argv: readonly string[] | ((argv: readonly string[]) => boolean)
  /** Names a predicate step in messages. */
  name?: string
  /** The stdin expected (text), or a predicate on it; unchecked when absent. */
  stdin?: string | ((stdin: string | undefined) => boolean)
  /** Default ''. */
  stdout?: string
  /** Default ''. */
  stderr?: string
  /** Default 0. */
  exitCode?: number | null
  /** The signal the command "died" of; set `exitCode: null` with it. */
  signal?: string
  /** Rejects the run with this instead of answering (e.g. a TIMEOUT or UNAVAILABLE CloudError). */
  error?: Error
  /** Answers after this long on the transport's clock (abortable). */
  delayMs?: number
}

/** A command the scripted transport received. */
export interface ScriptedCall {
  argv: readonly string[]
  /** The stdin given, decoded as UTF-8. */
  stdin: string | undefined
  /** The run options, stdin excluded. */
  options: Omit<RunOptions, 'stdin'>
  /** Index in the script of the step that answered it; absent for an unexpected command. */
  step?: number
}

/** A fake {@link Transport} answering from a script; see {@link scriptedTransport}. */
export interface ScriptedTransport extends Transport {
  /** Every command received, expected or not, in order. */
  readonly calls: readonly ScriptedCall[]
  /** Commands that matched no step (they were also thrown at the caller). */
  readonly unexpected: readonly ScriptedCall[]
  /** Steps not consumed yet. */
  remaining(): ScriptStep[]
  /** Adds steps to the end of the script. */
  push(...steps: ScriptStep[]): void
  /** Throws an assertion error if any step was not consumed or any command was unexpected. */
  assertDone(): void
}

/** Options of {@link scriptedTransport}. */
export interface ScriptedTransportOptions {
  /** Whether steps must come in script order (default) or may match in any order. */
  ordered?: boolean
  /** What `describe()` says, default `scripted`. */
  host?: string
  /** Clock for `delayMs`, default the system clock. */
  clock?: Clock
}

/**
 * A fake transport for driver tests: it expects exact commands (or matchers), in order unless `ordered: false`,
 * answers each with scripted output and exit code, records every call, and throws an assertion error on
 * a command that is not next in the script. `exec` behaves as on real transports (non-zero exit → error).
 *
 * @example
 * const host = scriptedTransport([
 *   { argv: ['lvs', '--reportformat', 'json', 'vg0'], stdout: '{"report":[]}' },
 *   { argv: ['lvcreate', '-n', 'vol-1', '-L', '1073741824b', 'vg0'] },
 * ])
 * await lvm({ host, vg: 'vg0' }).create(…)
 * host.assertDone()
 */
export function scriptedTransport(
  script: readonly ScriptStep[],
  options: ScriptedTransportOptions = {},
): ScriptedTransport {
  const ordered = options.ordered ?? true
  const clock = options.clock ?? systemClock
  const host = options.host ?? 'scripted'
  const steps = script.map((step, index) => ({ step, index, used: false }))
  const calls: ScriptedCall[] = []
  const unexpected: ScriptedCall[] = []
  const pending = () => steps.filter((entry) => !entry.used)

  const run = async (argv: readonly string[], runOptions: RunOptions = {}): Promise<RunResult> => {
    // Real transports refuse malformed argvs (empty, NUL bytes); the fake must not let them through.
    assertArgv(argv)
    const { stdin, ...rest } = runOptions
    const call: ScriptedCall = { argv: [...argv], stdin: stdin?.toString('utf8'), options: rest }
    calls.push(call)
    const candidates = ordered ? pending().slice(0, 1) : pending()
    const entry = candidates.find(({ step }) => matches(step, call))
    if (!entry) {
      unexpected.push(call)
      throw mismatch(
        call,
        candidates.map(({ step }) => step),
        ordered,
      )
    }
    entry.used = true
    call.step = entry.index
    const { step } = entry
    if (runOptions.signal?.aborted) throw abortError(runOptions.signal, `command '${argv[0]}' on ${host}`)
    if (step.delayMs) {
      await clock.sleep(step.delayMs, runOptions.signal).catch(() => {
        throw abortError(runOptions.signal as AbortSignal, `command '${argv[0]}' on ${host}`)
      })
    }
    if (step.error) throw step.error
    return {
      exitCode: step.exitCode === undefined ? 0 : step.exitCode,
      signal: step.signal ?? null,
      stdout: step.stdout ?? '',
      stderr: step.stderr ?? '',
      durationMs: step.delayMs ?? 0,
    }
  }

  const transport = defineTransport({ run, describe: () => host })
  return Object.assign(transport, {
    calls,
    unexpected,
    remaining: () => pending().map(({ step }) => step),
    push: (...more: ScriptStep[]) => {
      for (const step of more) steps.push({ step, index: steps.length, used: false })
    },
    assertDone() {
      const left = pending()
      if (left.length === 0 && unexpected.length === 0) return
      const lines = [
        ...unexpected.map((call) => `unexpected command: ${show(call.argv)}`),
        ...left.map(({ step }) => `expected but never run: ${describeStep(step)}`),
      ]
      throw new AssertionError({
        message: `Scripted transport ${host} is not done:\n  ${lines.join('\n  ')}`,
      })
    },
  })
}

function matches(step: ScriptStep, call: ScriptedCall): boolean {
  const argvOk =
    typeof step.argv === 'function' ? step.argv(call.argv) : isDeepStrictEqual([...step.argv], call.argv)
  if (!argvOk || step.stdin === undefined) return argvOk
  return typeof step.stdin === 'function' ? step.stdin(call.stdin) : step.stdin === call.stdin
}

function mismatch(call: ScriptedCall, candidates: readonly ScriptStep[], ordered: boolean): AssertionError {
  const first = candidates[0]
  const expected = !first
    ? 'no more commands'
    : ordered
      ? `next: ${describeStep(first)}`
      : `one of:\n    ${candidates.map(describeStep).join('\n    ')}`
  const stdinNote =
    first && typeof first.argv !== 'function' && first.stdin !== undefined ? ' (stdin checked too)' : ''
  return new AssertionError({
    message: `Unexpected command ${show(call.argv)}; expected ${expected}${stdinNote}`,
    actual: call.argv,
    expected: first && typeof first.argv !== 'function' ? first.argv : undefined,
  })
}

function describeStep(step: ScriptStep): string {
  if (typeof step.argv !== 'function') return show(step.argv)
  return step.name ?? `<matcher ${step.argv.name || 'anonymous'}>`
}

/** Argv as a JSON array: unambiguous about spaces, quotes and empty strings. */
function show(argv: readonly string[]): string {
  return JSON.stringify(argv)
}
