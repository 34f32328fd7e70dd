import { CloudError, parseOrThrow } from '@nubis/sdk'
import type { z } from 'zod'

/**
 * Validates a request body with a zod schema, the one the service exports where it fits: the result is typed
 * by the schema, and a failure is a CloudError `INVALID` naming the first bad field (`Invalid server.name: …`,
 * `details.path` = `name`), which the API's formatter turns into its 400.
 *
 * `what` names the body in messages; a missing body (no payload at all) is `INVALID` too, never a crash on
 * `undefined`.
 *
 * @example
 * const { server } = parseBody(CreateServerBody, request.body, 'body')
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what = 'body'): z.output<S> {
  if (body === undefined || body === null) {
    throw new CloudError('INVALID', `The request ${what} is missing`, { details: { path: '' } })
  }
  return parseOrThrow(schema, body, what)
}
