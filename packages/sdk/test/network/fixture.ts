import { type Cloud, createCloud } from '../../src/cloud.js'
import type { CloudOptions } from '../../src/cloud-options.js'
import { createContext, type RequestContext } from '../../src/core/context.js'
import type { CloudError } from '../../src/core/errors.js'

/** A cloud (state-only network driver unless `options.network` says otherwise) with three contexts. */
export interface NetworkFixture {
  cloud: Cloud
  /** A member of project `p-alice`. */
  alice: RequestContext
  /** A member of project `p-bob`. */
  bob: RequestContext
  /** An admin of project `p-admin`. */
  admin: RequestContext
  close(): Promise<void>
}

/** A context as a token of that project and role set would give it. */
export function memberOf(projectId: string, roles = ['member', 'reader']): RequestContext {
  return createContext({ userId: `u-${projectId}`, projectId, roles })
}

/** Builds a {@link NetworkFixture}. */
export async function networkFixture(options: CloudOptions = {}): Promise<NetworkFixture> {
  const cloud = await createCloud({ tasks: { recoverEveryMs: 0 }, ...options })
  return {
    cloud,
    alice: memberOf('p-alice'),
    bob: memberOf('p-bob'),
    admin: memberOf('p-admin', ['admin', 'member', 'reader']),
    close: () => cloud.close(),
  }
}

/** The CloudError a promise rejects with (the test fails if it resolves). */
export const errorOf = (promise: Promise<unknown>): Promise<CloudError> =>
  promise.then(
    () => {
      throw new Error('expected a rejection')
    },
    (error: CloudError) => error,
  )
