import { CloudError } from './errors.js'

/** A piece of a check's right-hand side: literal text, or `%(path)s`, a dotted path into the target. */
export type TemplatePart = string | { readonly ref: string }

/** The right-hand side of a check, e.g. `admin` or `%(project_id)s`. */
export type Template = readonly TemplatePart[]

/** A parsed policy rule, as oslo.policy's check tree. */
export type PolicyNode =
  | { readonly kind: 'true' }
  | { readonly kind: 'false' }
  | { readonly kind: 'not'; readonly item: PolicyNode }
  | { readonly kind: 'and' | 'or'; readonly items: readonly PolicyNode[] }
  | { readonly kind: 'rule'; readonly name: string }
  | { readonly kind: 'role'; readonly match: Template }
  /** `project_id:%(project_id)s` (a credential, `cred` set) or `'x':%(f)s` / `True:%(f)s` (a literal, `literal` set). */
  | { readonly kind: 'generic'; readonly cred?: string; readonly literal?: string; readonly match: Template }

type Token = { type: '(' | ')' | 'and' | 'or' | 'not' | 'check'; text: string; at: number }

// Deeper nesting than this is no policy anyone writes; the cap keeps recursion far from the stack limit.
const MAX_DEPTH = 64

function fail(rule: string, reason: string, at: number): never {
  throw new CloudError('INVALID', `Invalid policy rule "${rule}": ${reason} at position ${at}`, {
    details: { rule, position: at },
  })
}

// oslo.policy splits on whitespace and peels parentheses off each word; scanning by character does the same and
// also keeps `%(field)s` and quoted literals (which may hold spaces or parentheses) in one check.
function tokenize(rule: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < rule.length) {
    const c = rule[i]!
    if (/\s/.test(c)) {
      i++
    } else if (c === '(' || c === ')') {
      tokens.push({ type: c, text: c, at: i++ })
    } else {
      const start = i
      while (i < rule.length && !/[\s()]/.test(rule[i]!)) {
        const d = rule[i]!
        if (d === "'" || d === '"') {
          const end = rule.indexOf(d, i + 1)
          if (end < 0) fail(rule, 'unterminated quote', i)
          i = end + 1
        } else if (d === '%' && rule[i + 1] === '(') {
          const end = rule.indexOf(')', i + 2)
          if (end < 0) fail(rule, 'unterminated %(', i)
          i = end + 1
        } else {
          i++
        }
      }
      const text = rule.slice(start, i)
      const lower = text.toLowerCase()
      const type = lower === 'and' || lower === 'or' || lower === 'not' ? lower : 'check'
      tokens.push({ type, text, at: start })
    }
  }
  return tokens
}

function parseTemplate(rule: string, text: string, at: number): Template {
  const parts: TemplatePart[] = []
  let literal = ''
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c !== '%') {
      literal += c
    } else if (text[i + 1] === '%') {
      literal += '%'
      i++
    } else if (text[i + 1] === '(') {
      const end = text.indexOf(')', i + 2)
      const ref = text.slice(i + 2, end)
      if (end < 0 || text[end + 1] !== 's') fail(rule, 'substitutions are written %(field)s', at + i)
      if (!/^[\w.-]+$/.test(ref)) fail(rule, `bad substitution field "${ref}"`, at + i)
      if (literal) parts.push(literal)
      literal = ''
      parts.push({ ref })
      i = end + 1
    } else {
      fail(rule, 'a lone "%" (write "%%")', at + i)
    }
  }
  if (literal) parts.push(literal)
  return parts
}

function parseCheck(rule: string, token: Token): PolicyNode {
  const { text, at } = token
  if (text === '@') return { kind: 'true' }
  if (text === '!') return { kind: 'false' }
  const quoted = /^(['"])(.*?)\1:/s.exec(text)
  const colon = quoted ? quoted[0].length - 1 : text.indexOf(':')
  if (colon < 0) fail(rule, `"${text}" is not a check (expected kind:match, "@" or "!")`, at)
  const kind = text.slice(0, colon)
  const match = text.slice(colon + 1)
  if (!kind) fail(rule, 'empty check kind', at)
  if (!match) fail(rule, `empty match in "${text}"`, at)
  if (kind === 'rule') {
    if (!/^[\w.:/-]+$/.test(match)) fail(rule, `bad rule name "${match}"`, at)
    return { kind: 'rule', name: match }
  }
  const template = parseTemplate(rule, match, at + colon + 1)
  if (kind === 'role') return { kind: 'role', match: template }
  if (quoted) return { kind: 'generic', literal: quoted[2]!, match: template }
  // oslo.policy literal_evals the kind: True, False and numbers are literals to compare the target against.
  if (/^(?:True|False|-?\d+)$/.test(kind)) return { kind: 'generic', literal: kind, match: template }
  if (!/^[\w.-]+$/.test(kind)) fail(rule, `bad credential name "${kind}"`, at)
  return { kind: 'generic', cred: kind, match: template }
}

/**
 * Parses an oslo.policy rule string: checks (`@`, `!`, `role:x`, `rule:x`, `cred:%(target.path)s`,
 * `'literal':%(path)s`, `True:%(path)s`) joined by `not`, `and`, `or` (in that order of precedence) and
 * parentheses. An empty rule always passes, as in oslo.policy.
 *
 * @throws CloudError `INVALID` naming the position of the first error; never anything else.
 */
export function parseRule(rule: string): PolicyNode {
  const tokens = tokenize(rule)
  let pos = 0
  const peek = () => tokens[pos]
  const atOf = (t: Token | undefined) => t?.at ?? rule.length

  const expr = (depth: number): PolicyNode => {
    const items = [term(depth)]
    while (peek()?.type === 'or') {
      pos++
      items.push(term(depth))
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items }
  }
  const term = (depth: number): PolicyNode => {
    const items = [factor(depth)]
    while (peek()?.type === 'and') {
      pos++
      items.push(factor(depth))
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items }
  }
  const factor = (depth: number): PolicyNode => {
    if (depth > MAX_DEPTH) fail(rule, 'nested too deeply', atOf(peek()))
    const token = peek()
    if (!token) fail(rule, 'unexpected end of rule', rule.length)
    pos++
    if (token.type === 'not') return { kind: 'not', item: factor(depth + 1) }
    if (token.type === 'check') return parseCheck(rule, token)
    if (token.type !== '(') fail(rule, `unexpected "${token.text}"`, token.at)
    const inner = expr(depth + 1)
    if (peek()?.type !== ')') fail(rule, 'missing ")"', atOf(peek()))
    pos++
    return inner
  }

  if (tokens.length === 0) return { kind: 'true' }
  const node = expr(0)
  if (pos < tokens.length) fail(rule, `unexpected "${tokens[pos]!.text}"`, tokens[pos]!.at)
  return node
}

/** The names of the rules a parsed rule refers to with `rule:<name>`. */
export function referencedRules(node: PolicyNode, into: Set<string> = new Set()): Set<string> {
  if (node.kind === 'rule') into.add(node.name)
  else if (node.kind === 'not') referencedRules(node.item, into)
  else if (node.kind === 'and' || node.kind === 'or')
    for (const item of node.items) referencedRules(item, into)
  return into
}
