import type { Cloud } from '@nubis/sdk'
import type { FastifyInstance } from 'fastify'
import { appCredentialRoutes } from './app-credentials.js'
import { assignmentRoutes } from './assignments.js'
import { catalogRoutes } from './catalog-routes.js'
import { credentialRoutes } from './credentials.js'
import { domainRoutes } from './domains.js'
import { ec2CredentialRoutes } from './ec2-credentials.js'
import { groupRoutes } from './groups.js'
import { projectRoutes } from './projects.js'
import { roleRoutes } from './roles.js'
import { userRoutes } from './users.js'

/**
 * Registers the CRUD routes of every Keystone resource on the Identity plugin's instance: domains, projects (and
 * their tags), users, groups, roles (and implication rules), role grants and `/v3/role_assignments`, regions,
 * services, endpoints, credentials (and their `OS-EC2` view) and application credentials.
 */
export function crudRoutes(api: FastifyInstance, cloud: Cloud): void {
  domainRoutes(api, cloud)
  projectRoutes(api, cloud)
  userRoutes(api, cloud)
  groupRoutes(api, cloud)
  roleRoutes(api, cloud)
  assignmentRoutes(api, cloud)
  catalogRoutes(api, cloud)
  credentialRoutes(api, cloud)
  appCredentialRoutes(api, cloud)
  ec2CredentialRoutes(api, cloud)
}
