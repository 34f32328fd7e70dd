/**
 * The Nubis SDK in sixty lines: a cloud on an in-memory SQLite store, its settings, typed events, policy
 * and errors. Run it from the repository root:
 *
 *     node --conditions=@nubis/source --import tsx examples/quickstart/quickstart.ts
 */
import { pathToFileURL } from 'node:url'
import { CloudError, createCloud, createContext, createPolicy, isCloudError, sqliteStore } from '@nubis/sdk'

// Events are typed: each module declares its names and payloads, as the six services do for theirs.
declare module '@nubis/sdk' {
  interface CloudEventMap {
    'quickstart.greeting.updated': { text: string }
  }
}

/** Runs the tour and returns what it saw (the test at examples/openstack-server/test checks it). */
export async function main() {
  // ':memory:' is the fast test store; a file path keeps state across restarts.
  const cloud = await createCloud({ store: sqliteStore({ path: ':memory:' }) })
  try {
    // Events are emitted after the work commits; listeners feed waiters, dashboards and audit.
    const events: string[] = []
    const stop = cloud.events.on('quickstart.greeting.updated', (event) => {
      events.push(`${event.type}: ${event.text}`)
    })

    // Settings live in the state store, so every control-plane process sees the same values.
    await cloud.settings.set('quickstart.greeting', 'hello, cloud')
    cloud.events.emit('quickstart.greeting.updated', { text: 'hello, cloud' })
    const firstWins = await cloud.settings.setIfAbsent('quickstart.greeting', 'too late')
    const greeting = await cloud.settings.get('quickstart.greeting')
    stop()

    // Policy: oslo.policy rules; every service call is checked against the caller's context.
    const policy = createPolicy({ defaults: { 'quickstart:greeting:update': 'rule:admin_or_member' } })
    const reader = createContext({ userId: 'u-1', projectId: 'p-1', roles: ['reader'] })
    const member = createContext({ userId: 'u-2', projectId: 'p-1', roles: ['member', 'reader'] })
    const target = { project_id: 'p-1' }
    let denied = ''
    try {
      policy.enforce(reader, 'quickstart:greeting:update', target)
    } catch (error) {
      // One error type everywhere; the REST layer maps its code to each API's status (FORBIDDEN → 403).
      if (isCloudError(error, 'FORBIDDEN')) denied = error.message
    }

    return {
      greeting,
      firstWins,
      events,
      memberMayUpdate: policy.check(member, 'quickstart:greeting:update', target),
      // The host application's own jobs run with a trusted system context: every check passes.
      systemMayUpdate: policy.check(cloud.system(), 'quickstart:greeting:update', target),
      denied,
      error: new CloudError('NOT_FOUND', 'Greeting 42 could not be found', {
        resource: { type: 'greeting', id: '42' },
      }).toJSON(),
    }
  } finally {
    await cloud.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(await main())
