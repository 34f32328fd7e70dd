import { readFileSync } from 'node:fs'

/** Arguments that would break, or be exploited by, any naive string-built command line. */
export const HOSTILE_ARGS: readonly string[] = [
  'with space',
  "it's",
  '"double quoted"',
  '$(touch /tmp/nubis-pwned)',
  '`id`',
  'a; echo injected',
  'a && b || c',
  'line1\nline2\n',
  '\ttab and trailing space ',
  '',
  'ünïcödé 🚀 中文',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion is the point
  '$HOME ${PATH}',
  '*',
  '\\back\\slash\\',
  '-n',
  '--',
  '|&<>()!#~',
  "'",
  "''\\''",
  'A=b',
]

/** The argv a `printf '%s\0' …` run printed, one element per NUL-terminated string. */
export function splitNul(stdout: string): string[] {
  const parts = stdout.split('\0')
  parts.pop()
  return parts
}

/** True while `pid` is a live process (a zombie counts as gone: it no longer runs). */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch {
    return false
  }
}

/** Polls `read` until it returns a value, for files a child writes asynchronously. */
export async function eventually<T>(read: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = read()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The integer in `path`, or undefined while the file is missing or incomplete. */
export function readPid(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8')
    return text.endsWith('\n') ? Number(text.trim()) : undefined
  } catch {
    return undefined
  }
}
