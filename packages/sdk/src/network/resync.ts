import type { NetworkApi } from './api.js'
import type { NetworkDeps } from './deps.js'

/** `resync`: pushes every (or the named) host's state again, repairing hosts that lost their devices. */
export function resyncApi(deps: NetworkDeps): Pick<NetworkApi, 'resync'> {
  return {
    async resync(ctx, hosts) {
      deps.policy.enforce(ctx, 'network:resync', {})
      deps.dataPlane.forget()
      const names = hosts ?? (await deps.dataPlane.knownHosts()).map((host) => host.name)
      if (!deps.dataPlane.enabled) return names.map((host) => ({ host, changes: 0 }))
      const out: { host: string; changes: number }[] = []
      // One host at a time, each rebuilt from the store, so the report names the changes each needed.
      for (const host of names) out.push({ host, changes: await deps.dataPlane.applyNow(host) })
      return out
    },
  }
}
