import { CloudError } from '../core/errors.js'

/**
 * Checks an argv before it is run: a non-empty array of strings without NUL bytes. NUL cannot travel in an
 * argv (C strings end there), so a string holding one would be silently cut; refusing it is the safe choice.
 */
export function assertArgv(argv: readonly string[]): void {
  if (!Array.isArray(argv) || argv.length === 0) {
    throw new CloudError('INVALID', 'A command needs a non-empty argv array')
  }
  argv.forEach((arg: unknown, index) => {
    if (typeof arg !== 'string') {
      throw new CloudError('INVALID', `Argument ${index} of the command is not a string`, {
        details: { index },
      })
    }
    if (arg.includes('\0')) {
      throw new CloudError('INVALID', `Argument ${index} of the command contains a NUL byte`, {
        details: { index },
      })
    }
  })
  if (argv[0] === '') throw new CloudError('INVALID', 'The program name (argv[0]) is empty')
}

/**
 * Quotes one word for a POSIX shell: wrapped in single quotes, inside which nothing is special, with each
 * `'` written as `'\''` (close quote, escaped quote, reopen). Throws `INVALID` for a NUL byte.
 */
export function quoteWord(word: string): string {
  if (word.includes('\0')) throw new CloudError('INVALID', 'A shell word cannot contain a NUL byte')
  return `'${word.replaceAll("'", "'\\''")}'`
}

/**
 * Turns an argv into one POSIX `sh` command line that runs exactly that argv; needed where a protocol only
 * carries a command string (SSH exec). Every word is quoted, even harmless ones: quoted words are never
 * taken as assignments (`A=b`), reserved words or globs, so no special case can slip through.
 *
 * @example
 * shellQuote(['printf', '%s', "it's $(here)"]) // `'printf' '%s' 'it'\''s $(here)'`
 */
export function shellQuote(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ')
}
