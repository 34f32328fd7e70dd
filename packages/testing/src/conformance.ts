import { describe, it } from 'vitest'

/** What a conformance test receives. */
export interface ConformanceTestEnv<TDriver> {
  /** A fresh driver from the factory, for this test alone. */
  driver: TDriver
  /** Aborted when the test ends, so work a test leaves running is cancelled. */
  signal: AbortSignal
}

/** Options of one conformance test. */
export interface ConformanceTestOptions {
  /**
   * Capabilities the test needs. A driver without them gets the test reported as skipped with the reason —
   * the suite should then have a test asserting `NOT_SUPPORTED` for the same operation.
   */
  requires?: string | readonly string[]
  /** Test timeout in ms, overriding the suite's. */
  timeoutMs?: number
}

/** Handed to the body of {@link defineConformanceSuite} to declare its tests. */
export interface ConformanceContext<TDriver> {
  /** Declares a behavioural test every driver of the kind must pass. */
  test(
    name: string,
    fn: (env: ConformanceTestEnv<TDriver>) => Promise<void> | void,
    options?: ConformanceTestOptions,
  ): void
}

/** What a factory returns: a driver, and how to undo what the test created with it. */
export interface ConformanceTarget<TDriver> {
  driver: TDriver
  cleanup?: () => Promise<void> | void
}

/** Options of a {@link DescribeConformance} run. */
export interface ConformanceOptions {
  /** Skips the whole suite, e.g. `'needs Ceph: set NUBIS_CEPH'`. The reason is shown in every test name. */
  skip?: string
  /** Runs only these tests (by name); the others are reported as skipped. */
  only?: readonly string[]
  /** Skips single tests with a reason each, for known gaps of one back end (`{ 'resize': 'no device-mapper' }`). */
  skipTests?: Readonly<Record<string, string>>
  /** Distinguishes runs of the same suite, e.g. `'test double'` or `'real lvm'`. */
  label?: string
  /** Default timeout of each test in ms. */
  timeoutMs?: number
}

/** Registers a conformance suite's tests against one driver factory; see {@link defineConformanceSuite}. */
export type DescribeConformance<TDriver> = ((
  factory: () => Promise<ConformanceTarget<TDriver>> | ConformanceTarget<TDriver>,
  options?: ConformanceOptions,
) => void) & {
  /** Name of the suite. */
  readonly suiteName: string
  /** Names of its tests, in declaration order. */
  readonly testNames: readonly string[]
}

interface DeclaredTest<TDriver> {
  name: string
  fn: (env: ConformanceTestEnv<TDriver>) => Promise<void> | void
  options: ConformanceTestOptions
}

/**
 * Defines behavioural tests that every driver of a kind must pass, and returns the function that runs them
 * as vitest tests against a driver factory — the test double and every real back end run the same suite.
 * Skipped tests are reported as skipped, with the reason in their name: never as passing.
 *
 * @example
 * export const describeVolumeConformance = defineConformanceSuite<VolumeDriver>('volume driver', (ctx) => {
 *   ctx.test('creates a volume of the requested size', async ({ driver, signal }) => { … })
 * })
 * // in a test file:
 * describeVolumeConformance(async () => ({ driver: lvm({ host, vg }) }), { skip: lvmAvailable ? undefined : 'no LVM' })
 */
export function defineConformanceSuite<TDriver>(
  name: string,
  define: (ctx: ConformanceContext<TDriver>) => void,
): DescribeConformance<TDriver> {
  const tests: DeclaredTest<TDriver>[] = []
  define({
    test(testName, fn, options = {}) {
      if (tests.some((t) => t.name === testName)) {
        throw new Error(`Conformance suite '${name}' declares the test '${testName}' twice`)
      }
      tests.push({ name: testName, fn, options })
    },
  })

  const run = (
    factory: () => Promise<ConformanceTarget<TDriver>> | ConformanceTarget<TDriver>,
    options: ConformanceOptions = {},
  ) => {
    for (const selected of [...(options.only ?? []), ...Object.keys(options.skipTests ?? {})]) {
      if (!tests.some((t) => t.name === selected)) {
        throw new Error(`Conformance suite '${name}' has no test named '${selected}'`)
      }
    }
    describe(options.label ? `${name} (${options.label})` : name, () => {
      for (const test of tests) {
        const reason = skipReason(test.name, options)
        if (reason !== undefined) {
          it.skip(`${test.name} [skipped: ${reason}]`, () => {})
          continue
        }
        it(test.name, { timeout: test.options.timeoutMs ?? options.timeoutMs }, async (context) => {
          const target = await factory()
          const controller = new AbortController()
          try {
            const missing = missingCapabilities(target.driver, test.options.requires)
            if (missing.length > 0) context.skip(`driver lacks capability ${missing.join(', ')}`)
            await test.fn({ driver: target.driver, signal: controller.signal })
          } finally {
            controller.abort()
            await target.cleanup?.()
          }
        })
      }
    })
  }
  return Object.assign(run, { suiteName: name, testNames: tests.map((t) => t.name) })
}

function skipReason(testName: string, options: ConformanceOptions): string | undefined {
  if (options.skip !== undefined) return options.skip
  const single = options.skipTests?.[testName]
  if (single !== undefined) return single
  if (options.only && !options.only.includes(testName)) return 'not selected by only'
  return undefined
}

/** The required capabilities a driver does not declare as on (drivers without `capabilities` lack them all). */
function missingCapabilities(driver: unknown, requires: string | readonly string[] | undefined): string[] {
  const wanted = requires === undefined ? [] : [requires].flat()
  const flags =
    typeof driver === 'object' && driver !== null && 'capabilities' in driver
      ? (driver.capabilities as Record<string, unknown>)
      : {}
  return wanted.filter((capability) => flags[capability] !== true)
}
