import { describe, expect, it } from 'vitest'
import {
  descriptionSchema,
  type Id,
  idSchema,
  isUuidLike,
  looseIdSchema,
  MAX_TAGS,
  metadataSchema,
  nameSchema,
  newId,
  tagSchema,
  tagsSchema,
} from '../../src/core/ids.js'

describe('ids', () => {
  it('newId makes distinct dashed lower-case UUID v4s', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newId<'server'>()))
    expect(ids.size).toBe(100)
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('idSchema accepts dashed UUIDs and Keystone 32-hex ids, lower-casing but never re-dashing', () => {
    const schema = idSchema<'project'>()
    expect(schema.parse('3F2504E0-4F89-41D3-9A0C-0305E82C3301')).toBe('3f2504e0-4f89-41d3-9a0c-0305e82c3301')
    expect(schema.parse('3f2504e04f8941d39a0c0305e82c3301')).toBe('3f2504e04f8941d39a0c0305e82c3301')
    const id: Id<'project'> = schema.parse(newId())
    expect(isUuidLike(id)).toBe(true)
  })

  it.each([
    '',
    'default',
    '3f2504e0-4f89-41d3-9a0c-0305e82c330',
    '3f2504e0-4f89-41d3-9a0c-0305e82c3301x',
    '3f2504e04f89-41d3-9a0c-0305e82c3301',
    'g f2504e04f8941d39a0c0305e82c3301',
  ])('idSchema rejects %j', (value) => {
    expect(idSchema().safeParse(value).success).toBe(false)
  })

  it('looseIdSchema takes operator-chosen ids such as flavor "1" and the default domain', () => {
    const schema = looseIdSchema<'flavor'>()
    expect(schema.parse('1')).toBe('1')
    expect(schema.parse('m1.tiny')).toBe('m1.tiny')
    expect(schema.parse('default')).toBe('default')
    for (const bad of ['', 'a/b', ' x', 'x ', 'a\u0000b', 'x'.repeat(256)]) {
      expect(schema.safeParse(bad).success).toBe(false)
    }
  })
})

describe('names and descriptions', () => {
  it('nameSchema takes 1-255 printable characters without surrounding whitespace', () => {
    expect(nameSchema.parse('web server 1')).toBe('web server 1')
    expect(nameSchema.parse('ünïcødé ☁')).toBe('ünïcødé ☁')
    expect(nameSchema.parse('x'.repeat(255))).toHaveLength(255)
    for (const bad of ['', ' lead', 'trail ', '\tx', 'x'.repeat(256), 'a\nb', 'bell\u0007']) {
      expect(nameSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false)
    }
  })

  it('descriptionSchema allows empty text up to 255 characters without control characters', () => {
    expect(descriptionSchema.parse('')).toBe('')
    expect(descriptionSchema.parse(' padded ')).toBe(' padded ')
    expect(descriptionSchema.safeParse('x'.repeat(256)).success).toBe(false)
    expect(descriptionSchema.safeParse('a\u001bb').success).toBe(false)
  })
})

describe('metadata', () => {
  it('accepts Nova-style keys and short string values', () => {
    const metadata = { 'hw:cpu_policy': 'dedicated', 'a.b-c_d e': '', k: 'v'.repeat(255) }
    expect(metadataSchema().parse(metadata)).toEqual(metadata)
  })

  it('rejects bad keys, long values and non-strings', () => {
    const schema = metadataSchema()
    expect(schema.safeParse({ '': 'x' }).success).toBe(false)
    expect(schema.safeParse({ 'a/b': 'x' }).success).toBe(false)
    expect(schema.safeParse({ ['k'.repeat(256)]: 'x' }).success).toBe(false)
    expect(schema.safeParse({ k: 'v'.repeat(256) }).success).toBe(false)
    expect(schema.safeParse({ k: 1 }).success).toBe(false)
  })

  it('limits the number of items, 128 by default or as configured', () => {
    const items = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']))
    expect(metadataSchema().safeParse(items(128)).success).toBe(true)
    expect(metadataSchema().safeParse(items(129)).success).toBe(false)
    expect(metadataSchema({ maxItems: 2 }).safeParse(items(2)).success).toBe(true)
    const result = metadataSchema({ maxItems: 2 }).safeParse(items(3))
    expect(result.success).toBe(false)
    expect(result.error?.issues[0]?.message).toBe('at most 2 metadata items are allowed')
  })
})

describe('tags', () => {
  it('tagSchema takes 1-60 characters without "," or "/"', () => {
    expect(tagSchema.parse('prod')).toBe('prod')
    expect(tagSchema.parse('t'.repeat(60))).toHaveLength(60)
    for (const bad of ['', 't'.repeat(61), 'a,b', 'a/b']) expect(tagSchema.safeParse(bad).success).toBe(false)
  })

  it('tagsSchema drops duplicates, keeps order and caps the count', () => {
    expect(tagsSchema.parse(['b', 'a', 'b'])).toEqual(['b', 'a'])
    const many = Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`)
    expect(tagsSchema.safeParse(many.slice(0, MAX_TAGS)).success).toBe(true)
    expect(tagsSchema.safeParse(many).success).toBe(false)
    expect(tagsSchema.safeParse(['ok', 'no,pe']).success).toBe(false)
  })
})
