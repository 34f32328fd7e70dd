import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { splitUrl } from '../urls.js'
import { type AttributeMap, createItems, memberOf, toInput } from './body.js'
import { type FilterMap, parseListQuery } from './list-query.js'
import { neutronPageLinks, runList } from './paging.js'
import { type NeutronView, pickFields, STANDARD_READ_ONLY } from './render-common.js'
import type { Ctx, ListPage } from './sdk-types.js'

/** How a body becomes the input of one SDK call. */
export interface BodySpec {
  /** The attributes a body may set, by Neutron name. */
  attributes: AttributeMap
  /** The SDK's input schema, which judges the renamed body. */
  schema: z.ZodType
}

/**
 * One Neutron collection over one kind of SDK record: its names, how bodies and filters map onto the SDK, how
 * records render, and the SDK calls. {@link resourceRoutes} turns it into list, show, create (bulk too), update
 * and delete routes under `/v2.0/<path>`.
 */
export interface ResourceSpec<R extends { id: string }> {
  /** The JSON key of one object: `network`, `security_group`. */
  member: string
  /** The JSON key of a list: `networks`, `security_groups`. */
  collection: string
  /** The URL segment: `networks`, `security-groups`. */
  path: string
  /** Every attribute a rendered object has, for `sort_key`, filters and read-only checks. */
  attributes: readonly string[]
  /** Filters beyond id and owner. */
  filters: FilterMap
  create: BodySpec & {
    /** Whether `{"<collection>": [...]}` creates several (networks, subnets, ports). */
    bulk?: boolean
    /** Resolves inputs the SDK does not take as such (`use_default_subnetpool`). */
    prepare?: (ctx: Ctx, input: Record<string, unknown>) => Promise<Record<string, unknown>>
  }
  /** Absent for resources that cannot change (security group rules). */
  update?: BodySpec
  /** The Neutron object of a record, as `request`'s caller may see it. */
  render(record: R, request: FastifyRequest): NeutronView
  /** The SDK calls, with inputs already checked by the schemas above. */
  service: {
    create(ctx: Ctx, input: Record<string, unknown>): Promise<R>
    get(ctx: Ctx, id: string): Promise<R>
    list(ctx: Ctx, filter: Record<string, unknown>): Promise<ListPage<R>>
    update?(ctx: Ctx, id: string, patch: Record<string, unknown>): Promise<R>
    delete(ctx: Ctx, id: string): Promise<void>
  }
}

type IdParams = { Params: { id: string } }

/** The `fields=` of a show request. */
function fieldsOf(request: FastifyRequest): string[] | undefined {
  const params = new URLSearchParams(splitUrl(request).query)
  const fields = params
    .getAll('fields')
    .flatMap((value) => value.split(','))
    .filter(Boolean)
  return fields.length > 0 ? fields : undefined
}

/**
 * Registers `GET/POST /v2.0/<path>` and `GET/PUT/DELETE /v2.0/<path>/{id}` for `spec`. A bulk create makes the
 * objects one by one; when one fails, those already made are deleted and the failure is the answer, so a bulk
 * create is all or nothing as Neutron's is.
 */
export function resourceRoutes<R extends { id: string }>(api: FastifyInstance, spec: ResourceSpec<R>): void {
  const base = `/v2.0/${spec.path}`
  // Attributes the resource has but a body may not set: Neutron names them in its refusal.
  const known = [
    ...new Set([...spec.attributes, ...Object.keys(spec.create.attributes), ...STANDARD_READ_ONLY]),
  ]
  const readOnly = known.filter((name) => !Object.hasOwn(spec.create.attributes, name))

  api.get(base, async (request) => {
    const query = parseListQuery(splitUrl(request).query, spec)
    const result = await runList((filter) => spec.service.list(request.ctx, filter), query)
    return {
      [spec.collection]: result.items.map((item) => pickFields(spec.render(item, request), query.fields)),
      ...neutronPageLinks(request, spec.collection, query, result),
    }
  })

  api.get<IdParams>(`${base}/:id`, async (request) => {
    const record = await spec.service.get(request.ctx, request.params.id)
    return { [spec.member]: pickFields(spec.render(record, request), fieldsOf(request)) }
  })

  api.post(base, async (request, reply) => {
    const { items, bulk } = createItems(
      request.body,
      spec.member,
      spec.create.bulk ? spec.collection : undefined,
    )
    const options = { method: 'POST', readOnly, schema: spec.create.schema, member: spec.member } as const
    // Every object is checked before any is made, so a bad one in a bulk request leaves nothing to undo.
    const inputs = items.map((item) =>
      toInput(item as Record<string, unknown>, spec.create.attributes, options),
    )
    const made: R[] = []
    try {
      for (const input of inputs) {
        const prepared = spec.create.prepare ? await spec.create.prepare(request.ctx, input) : input
        made.push(await spec.service.create(request.ctx, prepared))
      }
    } catch (error) {
      await undo(request.ctx, spec, made)
      throw error
    }
    const views = made.map((record) => spec.render(record, request))
    return reply.code(201).send(bulk ? { [spec.collection]: views } : { [spec.member]: views[0] })
  })

  const { update } = spec
  const patch = spec.service.update
  if (update !== undefined && patch !== undefined) {
    api.put<IdParams>(`${base}/:id`, async (request) => {
      const readOnlyNow = known.filter((name) => !Object.hasOwn(update.attributes, name))
      const options = {
        method: 'PUT',
        readOnly: readOnlyNow,
        schema: update.schema,
        member: spec.member,
      } as const
      const input = toInput(memberOf(request.body, spec.member), update.attributes, options)
      const record = await patch(request.ctx, request.params.id, input)
      return { [spec.member]: spec.render(record, request) }
    })
  }

  api.delete<IdParams>(`${base}/:id`, async (request, reply) => {
    await spec.service.delete(request.ctx, request.params.id)
    return reply.code(204).send()
  })
}

/** Deletes what a failed bulk create made, newest first; a failure here must not hide the original one. */
async function undo<R extends { id: string }>(
  ctx: Ctx,
  spec: ResourceSpec<R>,
  made: readonly R[],
): Promise<void> {
  for (const record of [...made].reverse()) {
    await spec.service.delete(ctx, record.id).catch(() => undefined)
  }
}
