import type { Cloud } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'

/** Registers the CRUD routes of every Keystone resource (filled in as each resource's routes land). */
export function crudRoutes(_api: FastifyInstance, _cloud: Cloud): void {}
