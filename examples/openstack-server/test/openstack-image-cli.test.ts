// The real `openstack image …` commands (python3-openstackclient 6.0 over openstacksdk) against `nubis serve`:
// a qcow2 made by qemu-img uploaded, listed, shown, changed, downloaded, shared and accepted, protected, deleted.
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  describeRun,
  expectSuccess,
  missingBinary,
  type NubisServer,
  OPENSTACK,
  openstackAsAdmin,
  openstackJson,
  PYTHON,
  runTool,
  startNubis,
  toolEnv,
} from './openstack-tools.js'

const QEMU_IMG = '/usr/bin/qemu-img'
const skipReason =
  missingBinary(OPENSTACK) ?? (existsSync(QEMU_IMG) ? undefined : 'needs qemu-img (apt qemu-utils)')
const CALL_TIMEOUT_MS = 60_000
const STEP_TIMEOUT_MS = 180_000
type Row = Record<string, unknown>

describe.skipIf(skipReason !== undefined)(
  `openstack image commands against nubis serve${skipReason ? ` (${skipReason})` : ''}`,
  () => {
    let server: NubisServer
    const tag = randomBytes(3).toString('hex')
    const name = `cli-image-${tag}`
    const other = {
      project: `cli-img-proj-${tag}`,
      user: `cli-img-user-${tag}`,
      password: randomBytes(12).toString('hex'),
    }
    let qcow2: string
    let imageId = ''

    const asAdmin = (args: readonly string[]) => openstackAsAdmin(server, args, CALL_TIMEOUT_MS)
    const asOther = (args: readonly string[]) =>
      runTool(
        PYTHON,
        [
          OPENSTACK,
          ...[
            '--os-auth-url',
            server.authUrl,
            '--os-identity-api-version',
            '3',
            '--os-region-name',
            'RegionOne',
          ],
          ...[
            '--os-username',
            other.user,
            '--os-password',
            other.password,
            '--os-project-name',
            other.project,
          ],
          ...['--os-user-domain-name', 'Default', '--os-project-domain-name', 'Default'],
          ...args,
        ],
        { env: toolEnv(server.home), timeoutMs: CALL_TIMEOUT_MS },
      )
    const ok = expectSuccess
    const json = <T = Row>(args: readonly string[], run = asAdmin) => openstackJson<T>(run, args)

    beforeAll(async () => {
      server = await startNubis()
      qcow2 = join(server.work, 'disk.qcow2')
      execFileSync(QEMU_IMG, ['create', '-q', '-f', 'qcow2', qcow2, '64M'])
    })
    afterAll(async () => {
      await server?.close()
    })

    it(
      'image create --file uploads a qcow2; image show: active, with its MD5, size and virtual size',
      async () => {
        const data = await readFile(qcow2)
        const created = await json([
          'image',
          'create',
          '--file',
          qcow2,
          '--disk-format',
          'qcow2',
          '--container-format',
          'bare',
          '--private',
          name,
        ])
        // The CLI prints the record as created (before its upload); `image show` tells what the upload made of it.
        imageId = String(created.id)
        const shown = await json(['image', 'show', imageId])
        expect(shown).toMatchObject({
          id: imageId,
          name,
          status: 'active',
          disk_format: 'qcow2',
          container_format: 'bare',
          visibility: 'private',
          checksum: createHash('md5').update(data).digest('hex'),
          size: data.length,
          virtual_size: 64 * 1024 * 1024,
        })
        const listed = await json<Row[]>(['image', 'list'])
        expect(listed).toContainEqual(expect.objectContaining({ ID: imageId, Name: name, Status: 'active' }))
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'image set / unset: properties, tags, min-ram; image save downloads the same bytes',
      async () => {
        ok(
          ['image set'],
          await asAdmin([
            'image',
            'set',
            '--property',
            'os_distro=cirros',
            '--tag',
            'gold',
            '--min-ram',
            '128',
            imageId,
          ]),
        )
        expect(await json(['image', 'show', imageId])).toMatchObject({
          min_ram: 128,
          tags: ['gold'],
          properties: expect.objectContaining({ os_distro: 'cirros' }),
        })
        ok(
          ['image unset'],
          await asAdmin(['image', 'unset', '--property', 'os_distro', '--tag', 'gold', imageId]),
        )
        const shown = await json(['image', 'show', imageId])
        expect(shown.tags).toEqual([])
        expect(shown.properties).not.toHaveProperty('os_distro')
        const out = join(server.work, 'saved.qcow2')
        ok(['image save'], await asAdmin(['image', 'save', '--file', out, imageId]))
        expect((await readFile(out)).equals(await readFile(qcow2))).toBe(true)
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'image add project + image set --accept: another project sees the shared image',
      async () => {
        const project = await json(['project', 'create', '--domain', 'default', other.project])
        ok(
          ['user create'],
          await asAdmin([
            'user',
            'create',
            '--domain',
            'default',
            '--password',
            other.password,
            '--project',
            other.project,
            other.user,
          ]),
        )
        ok(
          ['role add'],
          await asAdmin(['role', 'add', '--user', other.user, '--project', other.project, 'member']),
        )
        // A private image cannot have members; sharing it needs visibility shared.
        ok(['image set --shared'], await asAdmin(['image', 'set', '--shared', imageId]))
        const member = await json(['image', 'add', 'project', imageId, String(project.id)])
        expect(member).toMatchObject({ image_id: imageId, member_id: project.id, status: 'pending' })
        const before = await json<Row[]>(['image', 'list'], asOther)
        expect(before.map((row) => row.ID)).not.toContain(imageId)
        ok(['image set --accept'], await asOther(['image', 'set', '--accept', imageId]))
        const after = await json<Row[]>(['image', 'list'], asOther)
        expect(after.map((row) => row.ID)).toContain(imageId)
        // A member may read, not change.
        const denied = await asOther(['image', 'set', '--name', 'stolen', imageId])
        expect(denied.code, describeRun('member image set', denied)).not.toBe(0)
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'a protected image is not deleted; unprotected, it is',
      async () => {
        ok(['image set --protected'], await asAdmin(['image', 'set', '--protected', imageId]))
        const refused = await asAdmin(['image', 'delete', imageId])
        expect(refused.code, describeRun('image delete (protected)', refused)).not.toBe(0)
        expect(`${refused.stdout}${refused.stderr}`).toMatch(/protected|403|Forbidden/i)
        ok(['image set --unprotected'], await asAdmin(['image', 'set', '--unprotected', imageId]))
        ok(['image delete'], await asAdmin(['image', 'delete', imageId]))
        const gone = await asAdmin(['image', 'show', imageId])
        expect(gone.code).not.toBe(0)
      },
      STEP_TIMEOUT_MS,
    )

    it(
      'data that does not match its declared format is refused and nothing is kept',
      async () => {
        const raw = join(server.work, 'random.bin')
        await writeFile(raw, randomBytes(256 * 1024))
        const bad = await asAdmin([
          'image',
          'create',
          '--file',
          raw,
          '--disk-format',
          'qcow2',
          '--container-format',
          'bare',
          `${name}-bad`,
        ])
        expect(bad.code, describeRun('image create (raw data labelled qcow2)', bad)).not.toBe(0)
        const left = await json<Row[]>(['image', 'list', '--name', `${name}-bad`, '--long'])
        for (const row of left) expect(row.Status).toBe('queued')
      },
      STEP_TIMEOUT_MS,
    )
  },
)
