import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createContext } from '../../src/core/context.js'
import { isCloudError } from '../../src/core/errors.js'
import { createPolicy } from '../../src/core/policy.js'
import { parseRule, referencedRules } from '../../src/core/policy-parser.js'

/** Parses, and reports whether it threw CloudError INVALID (true), returned (false), or threw anything else. */
function parsesOrInvalid(rule: string): boolean {
  try {
    parseRule(rule)
    return true
  } catch (error) {
    if (isCloudError(error, 'INVALID')) return true
    throw error
  }
}

// Strings built from the grammar's own pieces reach deeper into the parser than random characters do.
const piece = fc.constantFrom(
  '(',
  ')',
  ' ',
  'and',
  'or',
  'not',
  'AND',
  '@',
  '!',
  ':',
  'role:admin',
  'rule:x',
  'rule:',
  '%(',
  ')s',
  '%(project_id)s',
  'project_id:',
  "'",
  '"',
  "'lit'",
  'True',
  '%',
  '%%',
  '.',
)
const grammarish = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(''))

describe('parseRule', () => {
  it('builds oslo-shaped trees', () => {
    expect(parseRule('role:admin or rule:owner and not !')).toEqual({
      kind: 'or',
      items: [
        { kind: 'role', match: ['admin'] },
        {
          kind: 'and',
          items: [
            { kind: 'rule', name: 'owner' },
            { kind: 'not', item: { kind: 'false' } },
          ],
        },
      ],
    })
    expect(parseRule('project_id:%(target.project.id)s')).toEqual({
      kind: 'generic',
      cred: 'project_id',
      match: [{ ref: 'target.project.id' }],
    })
    // A quoted literal may hold the characters that otherwise separate checks.
    expect(parseRule("'a:b (c)':%(x)s")).toEqual({
      kind: 'generic',
      literal: 'a:b (c)',
      match: [{ ref: 'x' }],
    })
  })

  it('lists the rules a rule refers to', () => {
    expect([...referencedRules(parseRule('rule:a or (rule:b and not rule:a) or role:c'))]).toEqual(['a', 'b'])
  })

  it.each([
    ['role:admin and', 'unexpected end of rule'],
    ['(role:admin', 'missing ")"'],
    ['role:admin)', 'unexpected ")"'],
    ['and role:admin', 'unexpected "and"'],
    ['role:', 'empty match'],
    [':x', 'empty check kind'],
    ['admin', 'not a check'],
    ["'open:x", 'unterminated quote'],
    ['project_id:%(project_id', 'unterminated %('],
    ['project_id:%(project_id)d', 'substitutions are written %(field)s'],
    ['project_id:%()s', 'bad substitution field'],
    ['user_id:50%', 'a lone "%"'],
    ['rule:a b', 'unexpected "b"'],
    ['role:a role:b', 'unexpected "role:b"'],
    [`${'('.repeat(100)}@${')'.repeat(100)}`, 'nested too deeply'],
    [`${'not '.repeat(100)}@`, 'nested too deeply'],
  ])('rejects %j: %s', (rule, reason) => {
    let error: unknown
    try {
      parseRule(rule)
    } catch (e) {
      error = e
    }
    expect(isCloudError(error, 'INVALID')).toBe(true)
    expect((error as Error).message).toContain(reason)
  })

  it('fuzz: any string parses or throws CloudError INVALID, nothing else', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), parsesOrInvalid), { numRuns: 3000 })
    fc.assert(fc.property(grammarish, parsesOrInvalid), { numRuns: 5000 })
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), parsesOrInvalid), { numRuns: 1000 })
  })

  it('fuzz: createPolicy with any override rule succeeds or throws INVALID', () => {
    fc.assert(
      fc.property(grammarish, (rule) => {
        try {
          createPolicy({ defaults: { t: '@' }, overrides: { t: rule } })
        } catch (error) {
          if (!isCloudError(error, 'INVALID')) throw error
          expect((error as Error).message).toContain('"t"')
        }
      }),
      { numRuns: 2000 },
    )
  })

  // Model check: random boolean expressions over @ and ! evaluate as JavaScript evaluates them.
  type Expr = boolean | { op: 'not'; a: Expr } | { op: 'and' | 'or'; a: Expr; b: Expr }
  const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.boolean(),
      fc.record({ op: fc.constant('not' as const), a: tie('expr') }),
      fc.record({ op: fc.constantFrom('and' as const, 'or' as const), a: tie('expr'), b: tie('expr') }),
    ),
  }))
  const evaluate = (e: Expr): boolean =>
    typeof e === 'boolean'
      ? e
      : e.op === 'not'
        ? !evaluate(e.a)
        : e.op === 'and'
          ? evaluate(e.a) && evaluate(e.b)
          : evaluate(e.a) || evaluate(e.b)
  // Prints with parentheses only where precedence requires them, so the parser's precedence is what is tested.
  const rank = (e: Expr) => (typeof e === 'boolean' ? 3 : e.op === 'not' ? 2 : e.op === 'and' ? 1 : 0)
  const print = (e: Expr): string => {
    if (typeof e === 'boolean') return e ? '@' : '!'
    const wrap = (child: Expr, min: number) => (rank(child) < min ? `(${print(child)})` : print(child))
    if (e.op === 'not') return `not ${wrap(e.a, 2)}`
    const own = rank(e)
    return `${wrap(e.a, own)} ${e.op} ${wrap(e.b, own + 1)}`
  }

  it('fuzz: precedence not > and > or matches a model evaluator', () => {
    const anyone = createContext({})
    fc.assert(
      fc.property(expr, (e) => {
        const policy = createPolicy({ defaults: { t: print(e) } })
        expect(policy.check(anyone, 't')).toBe(evaluate(e))
      }),
      { numRuns: 1000 },
    )
  })
})
