import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { localTransport, quoteWord, shellQuote } from '../../src/transport/index.js'
import { HOSTILE_ARGS, splitNul } from './helpers.js'

const local = localTransport()

/** Runs `<quoted argv>` through a real POSIX shell (dash here) as the arguments of `sh -c 'printf …' --`. */
async function roundTrip(args: readonly string[]): Promise<string[]> {
  const line = `sh -c 'printf "%s\\0" "$@"' -- ${shellQuote(args)}`
  const result = await local.exec(['/bin/sh', '-c', line])
  return splitNul(result.stdout)
}

describe('shellQuote', () => {
  it('single-quotes every word and escapes embedded quotes', () => {
    expect(shellQuote(['ls', '-l', "it's"])).toBe(`'ls' '-l' 'it'\\''s'`)
    expect(quoteWord('')).toBe("''")
  })

  it('refuses NUL bytes', () => {
    expect(() => shellQuote(['a\0b'])).toThrowError(expect.objectContaining({ code: 'INVALID' }))
  })

  it('round-trips hostile arguments through sh', async () => {
    await expect(roundTrip(HOSTILE_ARGS)).resolves.toEqual(HOSTILE_ARGS)
  })

  it('round-trips any string without NUL through sh (property)', async () => {
    const word = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0'))
    const asciiWord = fc.string({ unit: 'binary-ascii', maxLength: 40 }).filter((s) => !s.includes('\0'))
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(word, asciiWord), { minLength: 1, maxLength: 6 }), async (args) => {
        expect(await roundTrip(args)).toEqual(args)
      }),
      { numRuns: 150 },
    )
  })
})
