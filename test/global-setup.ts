// Real servers for the whole test run, started side by side:
// - one PostgreSQL server; tests get its admin URL with `inject('postgresUrl')` (or through
//   `testStore('postgres')` from @nubis/testing) and create their own databases on it;
// - one throwaway Ceph cluster (mon, memstore OSD, radosgw; packages/testing/ceph/up.sh); tests get it with
//   `inject('ceph')` and use their own image names, buckets… in it. Without the Ceph programs it is
//   `{ unavailable: reason }` and the Ceph tests skip, saying why.
import type { TestProject } from 'vitest/node'
// Imported by path, not through @nubis/testing's index: the setup must not load every helper of the package.
import { type CephInfo, cephAvailable, startCeph } from '../packages/testing/src/ceph.js'
import { startPostgres } from '../packages/testing/src/postgres.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL server the test run shares. */
    postgresUrl: string
    /** The Ceph cluster the test run shares, or why there is none. */
    ceph: CephInfo | { unavailable: string }
  }
}

/** Starts the shared servers and returns the teardown that stops them. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cephSkip = cephAvailable()
  const [postgres, ceph] = await Promise.allSettled([
    startPostgres(),
    cephSkip === undefined ? startCeph() : Promise.resolve(undefined),
  ])
  const stops = [postgres, ceph].flatMap((result) => {
    const server = result.status === 'fulfilled' ? result.value : undefined
    return server ? [() => server.stop()] : []
  })
  const teardown = async () => {
    await Promise.all(stops.map((stop) => stop()))
  }
  if (postgres.status === 'rejected' || ceph.status === 'rejected') {
    await teardown()
    throw postgres.status === 'rejected' ? postgres.reason : (ceph as PromiseRejectedResult).reason
  }
  project.provide('postgresUrl', postgres.value.url)
  if (ceph.value) {
    const { stop: _stop, ...info } = ceph.value
    project.provide('ceph', info)
  } else {
    project.provide('ceph', { unavailable: cephSkip ?? 'Ceph was not started' })
  }
  return teardown
}
