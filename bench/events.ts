import { createEventBus } from '@nubis/sdk'
import { EventEmitter } from 'eventemitter3'
import { best, type Figure, rateSync } from './report.js'

declare module '@nubis/sdk' {
  interface CloudEventMap {
    'bench.thing.happened': { n: number }
  }
}

const COUNT = 2_000_000

/** Event bus dispatches per second (one listener), beside bare eventemitter3 emitting the same payloads. */
export async function benchEvents(): Promise<Figure[]> {
  const bus = createEventBus()
  let seen = 0
  bus.on('bench.thing.happened', (event) => {
    seen += event.n
  })
  const ours = await best(3, async () => rateSync(COUNT, (n) => bus.emit('bench.thing.happened', { n })))

  const raw = new EventEmitter()
  raw.on('bench.thing.happened', (event: { n: number }) => {
    seen += event.n
  })
  const bare = await best(3, async () =>
    rateSync(COUNT, (n) => raw.emit('bench.thing.happened', { type: 'bench.thing.happened', n, at: '' })),
  )
  if (seen === 0) throw new Error('no event was delivered')
  return [
    { name: 'event bus dispatches/s', value: ours, unit: '/s', goal: { ratio: 1, of: 1_000_000 } },
    {
      name: 'event bus vs bare eventemitter3',
      value: ours,
      unit: '/s',
      reference: { name: 'eventemitter3', value: bare },
    },
  ]
}
