import { CloudError } from '@nubis/sdk'
import type { SchemaDocument, SchemaProperty } from './image-schemas.js'

// Glance validates request bodies with jsonschema against the documents it serves; this checks the keywords
// those documents use (type, enum, maxLength, pattern, items, additionalProperties) and words failures as
// Glance's `InvalidObject` does: "Provided object does not match schema 'image': <reason>".

/** The JSON-schema type names a value has (an integer is also a `number`). */
function typesOf(value: unknown): string[] {
  if (value === null) return ['null']
  if (Array.isArray(value)) return ['array']
  if (typeof value === 'number') return Number.isInteger(value) ? ['integer', 'number'] : ['number']
  return [typeof value]
}

/** A value as Python's jsonschema quotes it in messages: strings in single quotes, the rest as JSON. */
function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value)
}

/** Why `value` fails `property`, or undefined when it passes. */
export function violation(property: SchemaProperty, value: unknown): string | undefined {
  if (property.type !== undefined) {
    const allowed = Array.isArray(property.type) ? property.type : [property.type]
    if (!typesOf(value).some((type) => allowed.includes(type))) {
      const expected = allowed.map((type) => `'${type}'`).join(', ')
      return `${show(value)} is not of type ${expected}`
    }
  }
  if (property.enum !== undefined && !property.enum.includes(value as string | null)) {
    return `${show(value)} is not one of [${property.enum.map((item) => (item === null ? 'None' : `'${item}'`)).join(', ')}]`
  }
  if (typeof value === 'string') {
    if (property.maxLength !== undefined && value.length > property.maxLength)
      return `${show(value)} is too long`
    if (property.pattern !== undefined && !new RegExp(property.pattern).test(value)) {
      return `${show(value)} does not match '${property.pattern}'`
    }
  }
  if (Array.isArray(value) && property.items !== undefined) {
    for (const item of value) {
      const reason = violation(property.items, item)
      if (reason !== undefined) return reason
    }
  }
  return undefined
}

/**
 * Checks `object`'s members against `document`: base attributes by their property, the others by
 * `additionalProperties`. A failure is INVALID (400) with Glance's message.
 */
export function checkObject(document: SchemaDocument, object: Readonly<Record<string, unknown>>): void {
  for (const [key, value] of Object.entries(object)) {
    const property = Object.hasOwn(document.properties, key) ? document.properties[key] : undefined
    let reason: string | undefined
    if (property !== undefined) reason = violation(property, value)
    else if (document.additionalProperties === false) {
      reason = `Additional properties are not allowed ('${key}' was unexpected)`
    } else if (document.additionalProperties !== true) {
      reason = violation(document.additionalProperties, value)
    }
    if (reason !== undefined) {
      throw new CloudError('INVALID', `Provided object does not match schema '${document.name}': ${reason}`, {
        details: { path: key },
      })
    }
  }
}
