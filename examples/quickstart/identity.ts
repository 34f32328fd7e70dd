/**
 * The Identity service in one tour: a project, a user with a role, a password login, what the token allows,
 * an application credential, and revocation. Run it from the repository root:
 *
 *     node --conditions=@nubis/source --import tsx examples/quickstart/identity.ts
 */
import { pathToFileURL } from 'node:url'
import { createCloud, isCloudError } from '@nubis/sdk'

export async function main() {
  // Cheap password hashing for a demo; leave `passwordHashing` out in production (argon2id, about 50 ms a hash).
  const cloud = await createCloud({ identity: { passwordHashing: { memoryCost: 1024, timeCost: 1 } } })
  try {
    const admin = cloud.system()
    const { identity } = cloud
    const project = await identity.createProject(admin, { name: 'web', domainId: 'default' })
    const user = await identity.createUser(admin, { name: 'alice', domainId: 'default', password: 's3cret!' })
    const [member] = (await identity.listRoles(admin, { name: 'member' })).items
    await identity.grantRole(admin, { roleId: member!.id, userId: user.id, projectId: project.id })

    // What `openstack token issue` does: a password login scoped to a project.
    const login = await identity.authenticate({
      identity: {
        methods: ['password'],
        password: { user: { name: 'alice', domain: { id: 'default' }, password: 's3cret!' } },
      },
      scope: { project: { name: 'web', domain: { id: 'default' } } },
    })
    // Every service call takes the caller's context; REST servers get it from the X-Auth-Token header.
    const alice = await identity.contextFromToken(login.token)
    const mayListUsers = cloud.policy.check(alice, 'identity:list_users', { domain_id: 'default' })

    // An application credential: a secret for scripts, bound to the project, shown once.
    const appCred = await identity.createApplicationCredential(alice, user.id, { name: 'ci' })
    const viaAppCred = await identity.authenticate({
      identity: {
        methods: ['application_credential'],
        applicationCredential: { id: appCred.id, secret: appCred.secret! },
      },
    })

    // Revoking a token makes it fail validation at once.
    await identity.revokeToken(alice, viaAppCred.token)
    const revoked = await identity
      .validateToken(admin, viaAppCred.token)
      .catch((e: unknown) => (isCloudError(e) ? e.code : e))

    return {
      roles: login.roles.map((role) => role.name).sort(),
      scope: login.project?.name,
      mayListUsers,
      appCredRoles: viaAppCred.roles.map((role) => role.name).sort(),
      revoked,
    }
  } finally {
    await cloud.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) console.log(await main())
