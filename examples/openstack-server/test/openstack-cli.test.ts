// The real `openstack` CLI (python3-openstackclient 6.0) and openstacksdk against `nubis serve`, logged in
// through the clouds.yaml the server writes into its data dir. Expected outputs are Keystone v3's, as the CLI
// prints them (checked against Debian's Keystone 22).
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CLOUD_NAME,
  describeRun,
  missingBinary,
  type NubisServer,
  OPENSTACK,
  PYTHON,
  runTool,
  startNubis,
  type ToolResult,
  toolEnv,
} from './openstack-tools.js'

const skipReason = missingBinary(OPENSTACK)
/** One CLI run: a Python start (~1 s) and a few requests. */
const CALL_TIMEOUT_MS = 60_000
const STEP_TIMEOUT_MS = 180_000

type Row = Record<string, unknown>

/** `secret` with its first character changed: Keystone's bcrypt hashes only the first 72 bytes, so appending is no change. */
function corrupt(secret: string): string {
  return `${secret.startsWith('A') ? 'B' : 'A'}${secret.slice(1)}`
}

describe.skipIf(skipReason !== undefined)(
  `openstack CLI and openstacksdk against nubis serve${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    let server: NubisServer
    /** Names unique to this run. */
    const tag = randomBytes(3).toString('hex')
    const names = {
      lifecycleDomain: `cli-domain-${tag}`,
      domain: `cli-home-${tag}`,
      project: `cli-project-${tag}`,
      renamedProject: `cli-project-renamed-${tag}`,
      user: `cli-user-${tag}`,
      group: `cli-group-${tag}`,
      role: `cli-role-${tag}`,
      appCredential: `cli-appcred-${tag}`,
    }
    const userPassword = randomBytes(12).toString('base64url')
    /** Ids learnt along the way; the steps run in order and build on each other. */
    const ids: Partial<
      Record<'adminUser' | 'adminProject' | 'domain' | 'project' | 'user' | 'group' | 'role', string>
    > = {}

    /** `openstack args`, logged in as the admin through OS_CLOUD and the server's clouds.yaml. */
    function openstack(args: readonly string[]): Promise<ToolResult> {
      const env = toolEnv(server.home, { OS_CLOUD: CLOUD_NAME, OS_CLIENT_CONFIG_FILE: server.cloudsFile })
      return runTool(PYTHON, [OPENSTACK, ...args], { env, timeoutMs: CALL_TIMEOUT_MS })
    }

    /** `openstack args` with the given --os-* auth options only: no clouds.yaml, no OS_CLOUD. */
    function openstackAs(auth: readonly string[], args: readonly string[]): Promise<ToolResult> {
      const base = [
        '--os-auth-url',
        server.authUrl,
        '--os-identity-api-version',
        '3',
        '--os-region-name',
        'RegionOne',
      ]
      return runTool(PYTHON, [OPENSTACK, ...base, ...auth, ...args], {
        env: toolEnv(server.home),
        timeoutMs: CALL_TIMEOUT_MS,
      })
    }

    /** Expects exit 0 and returns the parsed `-f json` output. */
    function parsed<T>(what: string, result: ToolResult): T {
      expect(result.code, describeRun(what, result)).toBe(0)
      try {
        return JSON.parse(result.stdout) as T
      } catch {
        throw new Error(`${what}: stdout is not JSON\n${describeRun(what, result)}`)
      }
    }

    /** Runs `openstack args -f json` as the admin and parses the output. */
    async function json<T = Row>(args: readonly string[]): Promise<T> {
      const full = [...args, '-f', 'json']
      return parsed<T>(`openstack ${full.join(' ')}`, await openstack(full))
    }

    /** Runs `openstack args` as the admin and expects exit 0. */
    async function ok(args: readonly string[]): Promise<ToolResult> {
      const result = await openstack(args)
      expect(result.code, describeRun(`openstack ${args.join(' ')}`, result)).toBe(0)
      return result
    }

    /** Runs `openstack args` as the admin and expects a failure whose message matches `pattern`. */
    async function fails(args: readonly string[], pattern: RegExp): Promise<void> {
      const result = await openstack(args)
      const what = describeRun(`openstack ${args.join(' ')}`, result)
      expect(result.code, what).not.toBe(0)
      expect(`${result.stdout}${result.stderr}`, what).toMatch(pattern)
    }

    beforeAll(async () => {
      server = await startNubis()
    })
    afterAll(async () => {
      await server?.close()
    })

    it(
      'token issue: a project-scoped admin token; the admin lives in the Default domain (id "default")',
      async () => {
        const token = await json(['token', 'issue'])
        expect(Object.keys(token).sort()).toEqual(['expires', 'id', 'project_id', 'user_id'])
        expect(token.id).toEqual(expect.stringMatching(/^\S{16,}$/))
        expect(Date.parse(String(token.expires))).toBeGreaterThan(Date.now())

        const project = await json(['project', 'show', 'admin'])
        expect(project).toMatchObject({
          id: token.project_id,
          name: 'admin',
          domain_id: 'default',
          enabled: true,
        })
        const user = await json(['user', 'show', 'admin'])
        expect(user).toMatchObject({ id: token.user_id, name: 'admin', domain_id: 'default', enabled: true })
        expect(user).not.toHaveProperty('password')
        ids.adminUser = token.user_id as string
        ids.adminProject = token.project_id as string
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'catalog list: keystone with a public RegionOne endpoint on this server',
      async () => {
        const catalog = await json<Row[]>(['catalog', 'list'])
        const identity = catalog.find((service) => service.Type === 'identity')
        expect(identity, JSON.stringify(catalog)).toMatchObject({ Name: 'keystone' })
        const endpoints = identity!.Endpoints as Row[]
        const publicEndpoint = endpoints.find((endpoint) => endpoint.interface === 'public')
        expect(publicEndpoint, JSON.stringify(endpoints)).toMatchObject({
          region: 'RegionOne',
          region_id: 'RegionOne',
          id: expect.any(String),
        })
        expect(String(publicEndpoint!.url)).toMatch(new RegExp(`^${server.url}/identity(/v3)?/?$`))
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'domain create/list/show/set/delete; an enabled domain cannot be deleted',
      async () => {
        const name = names.lifecycleDomain
        const created = await json(['domain', 'create', '--description', 'made by the CLI test', name])
        expect(created).toMatchObject({ name, description: 'made by the CLI test', enabled: true })
        expect(created.id).toEqual(expect.stringMatching(/^[0-9a-f]{32}$/))

        const list = await json<Row[]>(['domain', 'list'])
        expect(list).toContainEqual({
          ID: 'default',
          Name: 'Default',
          Enabled: true,
          Description: expect.any(String),
        })
        expect(list).toContainEqual({
          ID: created.id,
          Name: name,
          Enabled: true,
          Description: 'made by the CLI test',
        })
        expect(await json(['domain', 'show', name])).toMatchObject({ id: created.id, name })
        expect(await json(['domain', 'show', created.id as string])).toMatchObject({ id: created.id, name })

        await fails(['domain', 'delete', name], /HTTP 403/)
        await ok(['domain', 'set', '--description', 'changed', '--disable', name])
        expect(await json(['domain', 'show', created.id as string])).toMatchObject({
          id: created.id,
          name,
          description: 'changed',
          enabled: false,
        })
        await ok(['domain', 'delete', name])
        await fails(['domain', 'show', created.id as string], /No domain with a name or ID of/)
        expect((await json<Row[]>(['domain', 'list'])).map((d) => d.ID)).not.toContain(created.id)

        // The domain the next steps work in.
        const home = await json(['domain', 'create', names.domain])
        expect(home).toMatchObject({ name: names.domain, enabled: true })
        ids.domain = home.id as string
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'project create/list/show/set in a domain',
      async () => {
        const domain = names.domain
        const created = await json([
          'project',
          'create',
          '--domain',
          domain,
          '--description',
          'first',
          names.project,
        ])
        expect(created).toMatchObject({
          name: names.project,
          domain_id: ids.domain,
          parent_id: ids.domain,
          description: 'first',
          enabled: true,
          is_domain: false,
        })
        expect(created.id).toEqual(expect.stringMatching(/^[0-9a-f]{32}$/))
        ids.project = created.id as string

        expect(await json<Row[]>(['project', 'list', '--domain', domain])).toEqual([
          { ID: created.id, Name: names.project },
        ])
        const all = await json<Row[]>(['project', 'list'])
        expect(all).toContainEqual({ ID: ids.adminProject, Name: 'admin' })
        expect(all).toContainEqual({ ID: created.id, Name: names.project })
        expect(await json(['project', 'show', '--domain', domain, names.project])).toMatchObject({
          id: created.id,
          name: names.project,
          domain_id: ids.domain,
        })

        await ok([
          'project',
          'set',
          '--domain',
          domain,
          '--name',
          names.renamedProject,
          '--description',
          'second',
          names.project,
        ])
        expect(await json(['project', 'show', created.id as string])).toMatchObject({
          id: created.id,
          name: names.renamedProject,
          description: 'second',
          domain_id: ids.domain,
        })
        await fails(['project', 'show', '--domain', domain, names.project], /No project with a name or ID of/)
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'user create --password/list/show/set; the password never comes back',
      async () => {
        const domain = names.domain
        const created = await json([
          'user',
          'create',
          '--domain',
          domain,
          // Secrets go in --opt=value form: a generated one may start with '-'.
          `--password=${userPassword}`,
          '--email',
          'cli-user@example.com',
          '--project',
          names.renamedProject,
          '--project-domain',
          domain,
          names.user,
        ])
        expect(created).toMatchObject({
          name: names.user,
          domain_id: ids.domain,
          email: 'cli-user@example.com',
          default_project_id: ids.project,
          enabled: true,
          password_expires_at: null,
        })
        expect(created.id).toEqual(expect.stringMatching(/^[0-9a-f]{32}$/))
        expect(JSON.stringify(created)).not.toContain(userPassword)
        ids.user = created.id as string

        expect(await json<Row[]>(['user', 'list', '--domain', domain])).toEqual([
          { ID: created.id, Name: names.user },
        ])
        expect(await json<Row[]>(['user', 'list'])).toContainEqual({ ID: ids.adminUser, Name: 'admin' })

        await ok(['user', 'set', '--domain', domain, '--description', 'made by the CLI test', names.user])
        const shown = await json(['user', 'show', '--domain', domain, names.user])
        expect(shown).toMatchObject({
          id: created.id,
          name: names.user,
          description: 'made by the CLI test',
          email: 'cli-user@example.com',
        })
        expect(JSON.stringify(shown)).not.toContain(userPassword)
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'group create/list and group add user',
      async () => {
        const domain = names.domain
        const created = await json([
          'group',
          'create',
          '--domain',
          domain,
          '--description',
          'testers',
          names.group,
        ])
        expect(created).toMatchObject({ name: names.group, domain_id: ids.domain, description: 'testers' })
        expect(created.id).toEqual(expect.stringMatching(/^[0-9a-f]{32}$/))
        ids.group = created.id as string
        expect(await json<Row[]>(['group', 'list', '--domain', domain])).toEqual([
          { ID: created.id, Name: names.group },
        ])
        expect(await json<Row[]>(['group', 'list', '--user', names.user, '--user-domain', domain])).toEqual(
          [],
        )

        await ok([
          'group',
          'add',
          'user',
          '--group-domain',
          domain,
          '--user-domain',
          domain,
          names.group,
          names.user,
        ])
        expect(await json<Row[]>(['group', 'list', '--user', names.user, '--user-domain', domain])).toEqual([
          { ID: created.id, Name: names.group },
        ])
        const contains = await ok([
          'group',
          'contains',
          'user',
          '--group-domain',
          domain,
          '--user-domain',
          domain,
          names.group,
          names.user,
        ])
        expect(contains.stdout).toContain(`${names.user} in group ${names.group}`)
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'role create/list, role add --user --project, role assignment list --names; the user can then log in',
      async () => {
        const domain = names.domain
        const role = await json(['role', 'create', names.role])
        expect(role).toMatchObject({ name: names.role, domain_id: null })
        expect(role.id).toEqual(expect.stringMatching(/^[0-9a-f]{32}$/))
        ids.role = role.id as string
        const roles = (await json<Row[]>(['role', 'list'])).map((r) => r.Name)
        expect(roles).toEqual(expect.arrayContaining(['admin', 'member', 'reader', names.role]))

        for (const name of [names.role, 'member']) {
          await ok([
            'role',
            'add',
            '--user',
            names.user,
            '--user-domain',
            domain,
            '--project',
            names.renamedProject,
            '--project-domain',
            domain,
            name,
          ])
        }
        const assignments = await json<Row[]>([
          'role',
          'assignment',
          'list',
          '--names',
          '--project',
          names.renamedProject,
          '--project-domain',
          domain,
        ])
        const expected = (roleName: string) => ({
          Role: roleName,
          User: `${names.user}@${domain}`,
          Group: '',
          Project: `${names.renamedProject}@${domain}`,
          Domain: '',
          System: '',
          Inherited: false,
        })
        expect(assignments).toHaveLength(2)
        expect(assignments).toEqual(expect.arrayContaining([expected(names.role), expected('member')]))
        const everything = await json<Row[]>(['role', 'assignment', 'list', '--names'])
        expect(everything).toContainEqual(
          expect.objectContaining({ Role: 'admin', User: 'admin@Default', Project: 'admin@Default' }),
        )
        expect(everything).toEqual(expect.arrayContaining([expected(names.role), expected('member')]))

        const login = [
          '--os-username',
          names.user,
          '--os-user-domain-name',
          domain,
          '--os-project-name',
          names.renamedProject,
          '--os-project-domain-name',
          domain,
        ]
        const token = parsed<Row>(
          'token issue as the new user',
          await openstackAs([...login, `--os-password=${userPassword}`], ['token', 'issue', '-f', 'json']),
        )
        expect(token).toMatchObject({ user_id: ids.user, project_id: ids.project })
        const wrong = await openstackAs(
          [...login, `--os-password=${corrupt(userPassword)}`],
          ['token', 'issue', '-f', 'json'],
        )
        expect(wrong.code, describeRun('token issue with a wrong password', wrong)).not.toBe(0)
        expect(wrong.stderr).toMatch(/HTTP 401/)
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'application credential create, then token issue with --os-auth-type v3applicationcredential',
      async () => {
        const credential = await json(['application', 'credential', 'create', names.appCredential])
        expect(credential).toMatchObject({
          name: names.appCredential,
          project_id: ids.adminProject,
          user_id: ids.adminUser,
          unrestricted: false,
          expires_at: null,
        })
        expect(credential.id).toEqual(expect.stringMatching(/^[0-9a-f]{32}$/))
        expect(credential.secret).toEqual(expect.stringMatching(/^\S{16,}$/))
        expect(String(credential.roles).split(/[\s,]+/)).toContain('admin')

        const auth = [
          '--os-auth-type',
          'v3applicationcredential',
          `--os-application-credential-id=${credential.id}`,
          `--os-application-credential-secret=${credential.secret}`,
        ]
        const token = parsed<Row>(
          'token issue with the application credential',
          await openstackAs(auth, ['token', 'issue', '-f', 'json']),
        )
        expect(token).toMatchObject({ user_id: ids.adminUser, project_id: ids.adminProject })

        const badSecret = [
          ...auth.slice(0, -1),
          `--os-application-credential-secret=${corrupt(credential.secret as string)}`,
        ]
        const refused = await openstackAs(badSecret, ['token', 'issue', '-f', 'json'])
        expect(refused.code, describeRun('token issue with a wrong secret', refused)).not.toBe(0)
        expect(refused.stderr).toMatch(/HTTP 401/)
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'token revoke: the token stops working, and revoking it again is a 404',
      async () => {
        const scope = ['--os-project-name', 'admin', '--os-project-domain-name', 'Default']
        const withToken = (token: string) =>
          openstackAs(
            ['--os-auth-type', 'v3token', `--os-token=${token}`, ...scope],
            ['token', 'issue', '-f', 'json'],
          )

        const live = (await json(['token', 'issue'])).id as string
        const reissued = parsed<Row>('token issue with a live token', await withToken(live))
        expect(reissued).toMatchObject({ user_id: ids.adminUser, project_id: ids.adminProject })

        const revoked = (await json(['token', 'issue'])).id as string
        await ok(['token', 'revoke', '--', revoked])
        const refused = await withToken(revoked)
        expect(refused.code, describeRun('token issue with a revoked token', refused)).not.toBe(0)
        expect(refused.stderr).toMatch(/HTTP 40[14]/)
        await fails(['token', 'revoke', '--', revoked], /HTTP 404/)
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'openstacksdk: openstack.connect(cloud="nubis") lists the same projects as the CLI',
      async () => {
        const projects = await json<Row[]>(['project', 'list'])
        const code = `import openstack; c=openstack.connect(cloud='${CLOUD_NAME}'); print(len(list(c.identity.projects())))`
        const result = await runTool(PYTHON, ['-c', code], {
          env: toolEnv(server.home, { OS_CLIENT_CONFIG_FILE: server.cloudsFile }),
          timeoutMs: CALL_TIMEOUT_MS,
        })
        expect(result.code, describeRun('python3 -c "import openstack ..."', result)).toBe(0)
        expect(result.stdout.trim()).toBe(String(projects.length))
        expect(projects.length).toBeGreaterThanOrEqual(2)
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'user/group/project/role delete, then the domain (disabled first)',
      async () => {
        const domain = names.domain
        await ok(['user', 'delete', '--domain', domain, names.user])
        await fails(['user', 'show', ids.user!], /No user with a name or ID of/)
        await ok(['group', 'delete', '--domain', domain, names.group])
        await fails(['group', 'show', ids.group!], /No group with a name or ID of/)
        await ok(['project', 'delete', '--domain', domain, names.renamedProject])
        await fails(['project', 'show', ids.project!], /No project with a name or ID of/)
        await ok(['role', 'delete', names.role])
        await fails(['role', 'show', ids.role!], /No role with a name or ID of/)
        expect((await json<Row[]>(['role', 'list'])).map((r) => r.Name)).not.toContain(names.role)
        await ok(['domain', 'set', '--disable', domain])
        await ok(['domain', 'delete', domain])
        await fails(['domain', 'show', ids.domain!], /No domain with a name or ID of/)
      },
      STEP_TIMEOUT_MS,
    )
  },
)
