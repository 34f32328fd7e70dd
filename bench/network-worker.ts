// One of the two control planes of bench/network.ts: creates ports concurrently on a shared PostgreSQL database.
import { createCloud, postgresStore } from '@nubis/sdk'

const [url, networkId, countText, index] = process.argv.slice(2)
const count = Number(countText)
const cloud = await createCloud({ store: postgresStore({ url: url!, max: 8 }), tasks: { recoverEveryMs: 0 } })
const ctx = cloud.system()
let next = 0
let made = 0
// Eight creates in flight, as a busy API process would have.
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < count) {
      next += 1
      await cloud.network.createPort(ctx, { networkId: networkId!, projectId: 'bench', name: `w${index}` })
      made += 1
    }
  }),
)
await cloud.close()
process.send?.(made)
