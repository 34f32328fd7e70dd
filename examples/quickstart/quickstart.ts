/**
 * The Nubis SDK in sixty lines: a cloud on an in-memory SQLite store, its settings, a durable task and the
 * event it ends with, policy and errors. Run it from the repository root:
 *
 *     node --conditions=@nubis/source --import tsx examples/quickstart/quickstart.ts
 */
import { pathToFileURL } from 'node:url'
import {
  CloudError,
  createCloud,
  createContext,
  createPolicy,
  defineTask,
  isCloudError,
  sqliteStore,
} from '@nubis/sdk'

/** A durable task: each step's progress is stored, so a crashed process resumes or rolls back on restart. */
const greet = defineTask<{ name: string; text?: string }>({
  kind: 'quickstart.greet',
  steps: [{ name: 'compose', run: async ({ data }) => ({ text: `hello, ${data.name}` }) }],
})

/** Runs the tour and returns what it saw (examples/openstack-server/test/quickstart.test.ts checks it). */
export async function main() {
  // ':memory:' is the fast test store; a file path keeps the state across restarts.
  const cloud = await createCloud({ store: sqliteStore({ path: ':memory:' }) })
  try {
    // Settings live in the state store, so every control-plane process sees the same values.
    await cloud.settings.set('quickstart.region', 'RegionOne')
    const firstWins = await cloud.settings.setIfAbsent('quickstart.region', 'RegionTwo')
    const region = await cloud.settings.get('quickstart.region')

    // Events are typed by name and emitted once the work behind them has committed.
    const events: string[] = []
    const stop = cloud.events.on('core.task.succeeded', (event) => {
      events.push(`${event.type}: ${event.task.kind}`)
    })
    cloud.tasks.register(greet)
    const task = await (await cloud.tasks.start(greet.kind, { name: 'cloud' })).done
    stop()

    // Policy: oslo.policy rules, checked against the caller's context before every service call.
    const policy = createPolicy({ defaults: { 'quickstart:greet': 'rule:admin_or_member' } })
    const reader = createContext({ userId: 'u-1', projectId: 'p-1', roles: ['reader'] })
    const member = createContext({ userId: 'u-2', projectId: 'p-1', roles: ['member', 'reader'] })
    const target = { project_id: 'p-1' }
    let denied = ''
    try {
      policy.enforce(reader, 'quickstart:greet', target)
    } catch (error) {
      // One error type everywhere; the REST layer maps its code to each API's status (FORBIDDEN → 403).
      if (isCloudError(error, 'FORBIDDEN')) denied = error.message
    }

    return {
      region,
      firstWins,
      task: { state: task.state, text: task.data.text },
      events,
      memberMay: policy.check(member, 'quickstart:greet', target),
      // The host application's own jobs run with a trusted system context: every check passes.
      systemMay: policy.check(cloud.system(), 'quickstart:greet', target),
      denied,
      error: new CloudError('NOT_FOUND', 'Server 42 could not be found', {
        resource: { type: 'server', id: '42' },
      }).toJSON(),
    }
  } finally {
    await cloud.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(await main())
