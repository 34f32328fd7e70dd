import { AssertionError } from 'node:assert'
import { CloudError, defineDriver, type Transport } from '@nubis/sdk'
import { createTestClock, scriptedTransport } from '@nubis/testing'
import { describe, expect, it } from 'vitest'

/** A driver in the shape of the LVM one to come, issuing commands through a transport. */
const fakeLvm = (host: Transport) =>
  defineDriver({
    kind: 'volume',
    name: 'fake-lvm',
    capabilities: {},
    async create(name: string, bytes: number) {
      await host.exec(['lvcreate', '-n', name, '-L', `${bytes}b`, 'vg0'])
      const { stdout } = await host.exec(['lvs', '--reportformat', 'json', `vg0/${name}`])
      return JSON.parse(stdout) as unknown
    },
  })

describe('scriptedTransport', () => {
  it('answers the exact commands of the script, in order, and records them', async () => {
    const host = scriptedTransport([
      { argv: ['lvcreate', '-n', 'vol-1', '-L', '1024b', 'vg0'], stderr: 'Logical volume "vol-1" created.' },
      { argv: ['lvs', '--reportformat', 'json', 'vg0/vol-1'], stdout: '{"report":[]}' },
    ])
    await expect(fakeLvm(host).create('vol-1', 1024)).resolves.toEqual({ report: [] })
    expect(host.calls.map((c) => [c.argv[0], c.step])).toEqual([
      ['lvcreate', 0],
      ['lvs', 1],
    ])
    host.assertDone()
  })

  it('throws an assertion error naming both commands on an unexpected one, and remembers it', async () => {
    const host = scriptedTransport([{ argv: ['lvs', 'vg0'] }])
    const error = await host.run(['lvremove', '-f', 'vg0/x']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AssertionError)
    expect((error as Error).message).toBe(
      'Unexpected command ["lvremove","-f","vg0/x"]; expected next: ["lvs","vg0"]',
    )
    expect(() => host.assertDone()).toThrowError(
      'Scripted transport scripted is not done:\n' +
        '  unexpected command: ["lvremove","-f","vg0/x"]\n' +
        '  expected but never run: ["lvs","vg0"]',
    )
  })

  it('surfaces the mismatch through a driver, which reports it as DRIVER_FAILED', async () => {
    const host = scriptedTransport([{ argv: ['lvcreate', '-n', 'other', '-L', '1b', 'vg0'] }])
    const error = await fakeLvm(host)
      .create('vol-1', 1)
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'DRIVER_FAILED', driver: 'fake-lvm' })
    expect((error as CloudError).message).toContain('Unexpected command ["lvcreate","-n","vol-1"')
    expect(host.unexpected).toHaveLength(1)
  })

  it('enforces order unless told otherwise', async () => {
    const script = [{ argv: ['a'] }, { argv: ['b'] }]
    await expect(scriptedTransport(script).run(['b'])).rejects.toThrow(/expected next: \["a"\]/)
    const unordered = scriptedTransport(script, { ordered: false })
    await unordered.run(['b'])
    await unordered.run(['a'])
    unordered.assertDone()
    await expect(unordered.run(['a'])).rejects.toThrow(/expected no more commands/)
  })

  it('matches with predicates and checks stdin', async () => {
    const host = scriptedTransport([
      { argv: (argv) => argv[0] === 'rbd' && argv.includes('create'), name: 'rbd create <any>' },
      {
        argv: ['powershell', '-File', 'bootstrap.ps1'],
        stdin: (stdin) => JSON.parse(stdin ?? '').op === 'start',
      },
      { argv: ['tee', '/etc/x'], stdin: 'exact\n' },
    ])
    await host.run(['rbd', 'create', '--size', '1G', 'volumes/vol-8f2'])
    await host.run(['powershell', '-File', 'bootstrap.ps1'], { stdin: Buffer.from('{"op":"start"}') })
    await expect(host.run(['tee', '/etc/x'], { stdin: 'other\n' })).rejects.toThrow(/stdin checked too/)
    expect(host.remaining()).toHaveLength(1)
    expect(host.calls[1]?.stdin).toBe('{"op":"start"}')
  })

  it('reports exit codes like a real transport: exec fails on non-zero exit', async () => {
    const host = scriptedTransport([
      { argv: ['lvs', 'vg0/missing'], exitCode: 5, stderr: 'Failed to find logical volume "vg0/missing"' },
      { argv: ['lvs', 'vg0/missing'], exitCode: 5 },
    ])
    await expect(host.exec(['lvs', 'vg0/missing'])).rejects.toMatchObject({
      code: 'DRIVER_FAILED',
      message: 'Command \'lvs\' on scripted exited with code 5: Failed to find logical volume "vg0/missing"',
    })
    await expect(host.run(['lvs', 'vg0/missing'])).resolves.toMatchObject({ exitCode: 5, stdout: '' })
  })

  it('rejects with scripted errors, delays on its clock, and honours abort', async () => {
    const clock = createTestClock()
    const host = scriptedTransport(
      [
        { argv: ['ceph', 'status'], error: new CloudError('TIMEOUT', 'ceph did not answer') },
        { argv: ['sleep'], delayMs: 500, stdout: 'late' },
        { argv: ['sleep'], delayMs: 500 },
      ],
      { clock, host: 'mon1' },
    )
    await expect(host.run(['ceph', 'status'])).rejects.toMatchObject({ code: 'TIMEOUT' })
    const late = host.run(['sleep'])
    await clock.advance(500)
    await expect(late).resolves.toMatchObject({ stdout: 'late', durationMs: 500 })
    const controller = new AbortController()
    const aborted = host.run(['sleep'], { signal: controller.signal })
    controller.abort()
    await expect(aborted).rejects.toMatchObject({
      code: 'ABORTED',
      message: "The command 'sleep' on mon1 was aborted",
    })
    expect(host.describe()).toBe('mon1')
  })

  it('lets steps be pushed later and refuses argvs real transports would refuse', async () => {
    const host = scriptedTransport([])
    host.push({ argv: ['true'] })
    await host.run(['true'])
    host.assertDone()
    await expect(host.run(['echo', 'a\0b'])).rejects.toMatchObject({ code: 'INVALID' })
  })
})
