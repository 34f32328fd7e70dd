import { type NetworkDriver, stateOnlyNetwork } from '@nubis/sdk'

/**
 * The network driver `nubis serve` runs: the SDK's state-only default, since a single unprivileged process has
 * no hosts to wire. Addresses, ports and routers are all recorded, but no packet moves between guests.
 */
export function serveNetworkDriver(): NetworkDriver {
  return stateOnlyNetwork()
}
