import { isoTime } from '../core/clock.js'
import type { RequestContext } from '../core/context.js'
import { parseOrThrow } from '../core/errors.js'
import { newId } from '../core/ids.js'
import { casUpdate, newResourceColumns } from '../store/cas.js'
import type { NetworkApi } from './api.js'
import { conflict, resourceProject, writeTags } from './common.js'
import type { NetworkDeps } from './deps.js'
import { applyGateway } from './router-gateway.js'
import { addInterface, removeInterface } from './router-interfaces.js'
import { routerListApi } from './router-list.js'
import { setRouterPortsStatus } from './router-ports.js'
import { checkRouterRoutes } from './router-routes.js'
import {
  lockRouter,
  ROUTER_INTERFACE,
  type RouterRow,
  routerHosts,
  routerTarget,
  toRouters,
  visibleRouter,
} from './router-rows.js'
import { RouterCreateSchema, RouterInterfaceSchema, RouterUpdateSchema } from './router-schemas.js'

type RoutersApi = Pick<
  NetworkApi,
  | 'createRouter'
  | 'getRouter'
  | 'listRouters'
  | 'updateRouter'
  | 'deleteRouter'
  | 'addRouterInterface'
  | 'removeRouterInterface'
>

/** Routers: create (with a gateway), read, list, update (gateway, routes, state), delete, interfaces. */
export function routersApi(deps: NetworkDeps): RoutersApi {
  const { store, policy, events } = deps
  const now = () => isoTime(deps.clock.now())

  /** Runs an interface change on the locked router; the router's revision grows with its ports, as in Neutron. */
  async function changeInterface(
    ctx: RequestContext,
    routerId: string,
    input: unknown,
    action: 'add_router_interface' | 'remove_router_interface',
  ) {
    const body = parseOrThrow(RouterInterfaceSchema, input, 'router interface')
    const info = await store.transaction(async (tx) => {
      const router = await lockRouter(tx, ctx, routerId)
      policy.enforce(ctx, `network:${action}`, routerTarget(router))
      const change = action === 'add_router_interface' ? addInterface : removeInterface
      const done = await change(deps, tx, ctx, router, body)
      await casUpdate(tx, 'net_routers', router.id, router.revision, {}, { type: 'router', now: now() })
      deps.dataPlane.syncAfterCommit(tx, await routerHosts(deps, tx.db, [done.networkId]))
      events.emitAfterCommit(tx, 'network.router.updated', { id: router.id, projectId: router.project_id })
      return done.info
    })
    await deps.dataPlane.flush()
    return info
  }

  return {
    async createRouter(ctx, input) {
      const body = parseOrThrow(RouterCreateSchema, input, 'router')
      const projectId = resourceProject(ctx, body.projectId)
      policy.enforce(ctx, 'network:create_router', { project_id: projectId })
      const router = await store.transaction(async (tx) => {
        await deps.quotas.check(tx, projectId, { router: 1 })
        const id = newId<'router'>()
        let row: RouterRow = {
          ...newResourceColumns(id, now()),
          project_id: projectId,
          name: body.name ?? '',
          description: body.description ?? '',
          admin_state_up: body.adminStateUp === false ? 0 : 1,
          gw_port_id: null,
          enable_snat: 1,
          routes: '[]',
        }
        let networkIds: string[] = []
        if (body.externalGateway) {
          const { networkIds: touched, ...gateway } = await applyGateway(
            deps,
            tx,
            ctx,
            row,
            body.externalGateway,
          )
          row = { ...row, ...gateway }
          networkIds = touched
        }
        await tx.db.insertInto('net_routers').values(row).execute()
        await writeTags(tx, id, body.tags ?? [])
        deps.dataPlane.syncAfterCommit(tx, await routerHosts(deps, tx.db, networkIds))
        events.emitAfterCommit(tx, 'network.router.created', { id, projectId })
        return (await toRouters(tx.db, [row]))[0]!
      })
      await deps.dataPlane.flush()
      return router
    },

    async getRouter(ctx, id) {
      const row = await visibleRouter(store.db, ctx, id)
      policy.enforce(ctx, 'network:get_router', routerTarget(row))
      return (await toRouters(store.db, [row]))[0]!
    },

    ...routerListApi(deps),

    async updateRouter(ctx, id, patch) {
      const body = parseOrThrow(RouterUpdateSchema, patch, 'router update')
      const router = await store.transaction(async (tx) => {
        const row = await lockRouter(tx, ctx, id)
        policy.enforce(ctx, 'network:update_router', routerTarget(row))
        const adminStateUp = body.adminStateUp === undefined ? row.admin_state_up : body.adminStateUp ? 1 : 0
        const { networkIds, ...gateway } =
          body.externalGateway === undefined
            ? { gw_port_id: row.gw_port_id, enable_snat: row.enable_snat, networkIds: [] }
            : await applyGateway(
                deps,
                tx,
                ctx,
                { ...row, admin_state_up: adminStateUp },
                body.externalGateway,
              )
        // Checked after the gateway changed: a next hop may lie on the new external subnet.
        const routes = body.routes
          ? JSON.stringify(await checkRouterRoutes(tx.db, id, body.routes))
          : row.routes
        if (adminStateUp !== row.admin_state_up) await setRouterPortsStatus(tx, id, adminStateUp)
        const updated = await casUpdate(
          tx,
          'net_routers',
          id,
          row.revision,
          {
            name: body.name ?? row.name,
            description: body.description ?? row.description,
            admin_state_up: adminStateUp,
            ...gateway,
            routes,
          },
          { type: 'router', now: now() },
        )
        deps.dataPlane.syncAfterCommit(tx, await routerHosts(deps, tx.db, networkIds))
        events.emitAfterCommit(tx, 'network.router.updated', { id, projectId: row.project_id })
        return (await toRouters(tx.db, [updated]))[0]!
      })
      await deps.dataPlane.flush()
      return router
    },

    async deleteRouter(ctx, id) {
      await store.transaction(async (tx) => {
        const row = await lockRouter(tx, ctx, id)
        policy.enforce(ctx, 'network:delete_router', routerTarget(row))
        const attached = await tx.db
          .selectFrom('net_ports')
          .select('id')
          .where('device_id', '=', id)
          .where('device_owner', '=', ROUTER_INTERFACE)
          .executeTakeFirst()
        if (attached) throw conflict('RouterInUse', `Router ${id} still has ports`)
        const { networkIds } = await applyGateway(deps, tx, ctx, row, null)
        await tx.db.deleteFrom('net_tags').where('resource_id', '=', id).execute()
        await tx.db.deleteFrom('net_routers').where('id', '=', id).execute()
        deps.dataPlane.syncAfterCommit(tx, await routerHosts(deps, tx.db, networkIds))
        events.emitAfterCommit(tx, 'network.router.deleted', { id, projectId: row.project_id })
      })
      await deps.dataPlane.flush()
    },

    addRouterInterface: (ctx, routerId, input) =>
      changeInterface(ctx, routerId, input, 'add_router_interface'),
    removeRouterInterface: (ctx, routerId, input) =>
      changeInterface(ctx, routerId, input, 'remove_router_interface'),
  }
}
