import { Agent, request } from 'node:http'

/** Options of {@link httpRate}. */
export interface HttpLoadOptions {
  url: string
  headers?: Record<string, string>
  /** Requests in flight at once, each on its own keep-alive connection. */
  connections: number
  /** Requests in all. */
  total: number
  /** Status every answer must have; anything else aborts the run. */
  expectStatus: number
}

/**
 * Requests per second of GETs against `url` with `connections` keep-alive connections. A small client of its
 * own, so the same one loads Nubis and the bare server it is compared with.
 */
export async function httpRate(options: HttpLoadOptions): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections })
  let sent = 0
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(options.url, { agent, headers: options.headers }, (res) => {
        res.resume()
        res.on('end', () =>
          res.statusCode === options.expectStatus
            ? resolve()
            : reject(new Error(`status ${res.statusCode} from ${options.url}`)),
        )
      })
      req.on('error', reject)
      req.end()
    })
  const worker = async () => {
    while (sent < options.total) {
      sent++
      await one()
    }
  }
  const start = process.hrtime.bigint()
  await Promise.all(Array.from({ length: options.connections }, worker))
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  agent.destroy()
  return options.total / seconds
}
