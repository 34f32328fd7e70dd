import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { CloudError } from '../../src/core/errors.js'
import { localTransport } from '../../src/transport/index.js'
import { eventually, HOSTILE_ARGS, isAlive, readPid, splitNul } from './helpers.js'

const transport = localTransport({ killGraceMs: 300 })
const dir = mkdtempSync(join(tmpdir(), 'nubis-local-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('localTransport', () => {
  it('passes every argv element to the program unchanged, with no shell in between', async () => {
    const result = await transport.exec(['printf', '%s\\0', ...HOSTILE_ARGS])
    expect(splitNul(result.stdout)).toEqual(HOSTILE_ARGS)
    expect(result).toMatchObject({ exitCode: 0, signal: null, stderr: '' })
    expect(result.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('reports exit codes as results from run and as DRIVER_FAILED from exec', async () => {
    const script = 'cat >/dev/null; echo first >&2; echo "disk full" >&2; exit 3'
    const result = await transport.run(['sh', '-c', script], { stdin: 'SECRET-PASSWORD' })
    expect(result).toMatchObject({ exitCode: 3, signal: null, stderr: 'first\ndisk full\n' })

    const error = await transport
      .exec(['sh', '-c', script], { stdin: 'SECRET-PASSWORD' })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'DRIVER_FAILED', retryable: false, details: { exitCode: 3 } })
    const message = (error as CloudError).message
    expect(message).toBe("Command 'sh' on local exited with code 3: first\ndisk full")
    expect(JSON.stringify(error)).not.toContain('SECRET')
    await expect(transport.exec(['sh', '-c', 'exit 3'], { okExitCodes: [3] })).resolves.toMatchObject({
      exitCode: 3,
    })
  })

  it('reports a death by signal', async () => {
    const result = await transport.run(['sh', '-c', 'kill -TERM $$'])
    expect(result).toMatchObject({ exitCode: null, signal: 'SIGTERM' })
    await expect(transport.exec(['sh', '-c', 'kill -TERM $$'])).rejects.toThrow(/killed by SIGTERM/)
  })

  it('feeds stdin as text or bytes, and closes it when absent', async () => {
    await expect(transport.exec(['cat'], { stdin: 'hello\nwörld' })).resolves.toMatchObject({
      stdout: 'hello\nwörld',
    })
    const bytes = Buffer.from([0x61, 0x00, 0x62])
    const result = await transport.exec(['od', '-An', '-tx1'], { stdin: bytes })
    expect(result.stdout.trim()).toBe('61 00 62')
    await expect(transport.exec(['cat'])).resolves.toMatchObject({ stdout: '' })
  })

  it('applies env and cwd', async () => {
    const result = await transport.exec(['sh', '-c', 'printf "%s|" "$NUBIS_X"; pwd'], {
      env: { NUBIS_X: 'a b $(c)' },
      cwd: dir,
    })
    expect(result.stdout).toBe(`a b $(c)|${dir}\n`)
  })

  it('kills the process on timeout and rejects with TIMEOUT once it is gone', async () => {
    const pidFile = join(dir, 'timeout.pid')
    const started = Date.now()
    const error = await transport
      .run(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`], { timeoutMs: 1000 })
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'TIMEOUT', message: expect.stringContaining("'sh'") })
    expect(Date.now() - started).toBeLessThan(10_000)
    const pid = readPid(pidFile)
    expect(pid).toBeTypeOf('number')
    expect(isAlive(pid as number)).toBe(false)
  })

  it('escalates to SIGKILL for a process ignoring SIGTERM, and kills its children too', async () => {
    const pidFile = join(dir, 'stubborn.pid')
    const childFile = join(dir, 'stubborn-child.pid')
    const script = `trap '' TERM; sleep 30 & echo $! > ${childFile}; echo $$ > ${pidFile}; wait; wait`
    await expect(transport.run(['sh', '-c', script], { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    })
    const [pid, child] = [readPid(pidFile), readPid(childFile)]
    expect(isAlive(pid as number)).toBe(false)
    expect(isAlive(child as number)).toBe(false)
  })

  it('kills the process on abort and rejects with ABORTED', async () => {
    const pidFile = join(dir, 'abort.pid')
    const controller = new AbortController()
    const running = transport.run(['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`], {
      signal: controller.signal,
    })
    const pid = await eventually(() => readPid(pidFile))
    expect(isAlive(pid)).toBe(true)
    controller.abort()
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' })
    expect(isAlive(pid)).toBe(false)
    await expect(transport.run(['true'], { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    })
    await expect(transport.run(['sleep', '5'], { signal: AbortSignal.timeout(100) })).rejects.toMatchObject({
      code: 'TIMEOUT',
    })
  })

  it('says when a command is not installed', async () => {
    const error = await transport.run(['nubis-no-such-tool', '--version']).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CloudError)
    expect(error).toMatchObject({
      code: 'DRIVER_FAILED',
      message: "Command 'nubis-no-such-tool' is not installed on local (not found in PATH)",
    })
    await expect(transport.run(['true'], { cwd: join(dir, 'missing') })).rejects.toThrow(/does not exist/)
  })

  it('kills a command whose output exceeds the bound', async () => {
    const error = await transport.run(['yes', 'spam'], { maxOutputBytes: 65_536 }).catch((e: unknown) => e)
    expect(error).toMatchObject({
      code: 'DRIVER_FAILED',
      message: expect.stringContaining('exceeded 65536 bytes'),
    })
    await expect(
      transport.exec(['head', '-c', '1000', '/dev/zero'], { maxOutputBytes: 1000 }),
    ).resolves.toBeTruthy()
  })

  it('refuses malformed commands before running anything', async () => {
    await expect(transport.run([])).rejects.toMatchObject({ code: 'INVALID' })
    await expect(transport.run(['echo', 'a\0b'])).rejects.toMatchObject({ code: 'INVALID' })
    await expect(transport.run(['true'], { env: { 'BAD NAME': 'x' } })).rejects.toMatchObject({
      code: 'INVALID',
    })
    await expect(transport.run(['true'], { timeoutMs: -1 })).rejects.toMatchObject({ code: 'INVALID' })
    expect(transport.describe()).toBe('local')
  })
})
