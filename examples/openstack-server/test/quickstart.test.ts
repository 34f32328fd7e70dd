import { describe, expect, it } from 'vitest'
import { main } from '../../quickstart/quickstart.js'

describe('examples/quickstart', () => {
  it('tours settings, events, policy and errors', async () => {
    expect(await main()).toEqual({
      greeting: 'hello, cloud',
      firstWins: false,
      events: ['quickstart.greeting.updated: hello, cloud'],
      memberMayUpdate: true,
      systemMayUpdate: true,
      denied: "Policy doesn't allow quickstart:greeting:update to be performed.",
      error: {
        code: 'NOT_FOUND',
        message: 'Greeting 42 could not be found',
        resource: { type: 'greeting', id: '42' },
        retryable: false,
      },
    })
  })
})
