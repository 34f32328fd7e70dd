import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type SshTransportOptions,
  sshFingerprint,
  sshTransport,
  type Transport,
} from '../../src/transport/index.js'
import { HOSTILE_ARGS, isAlive, readPid, splitNul } from './helpers.js'
import { generateKeyPair, startTestSshServer, type TestSshServer } from './ssh-server.js'

let server: TestSshServer
let options: SshTransportOptions
const dir = mkdtempSync(join(tmpdir(), 'nubis-ssh-'))
const opened: Transport[] = []

/** A transport to the test server, closed after the suite. */
function connect(overrides: Partial<SshTransportOptions> = {}): Transport {
  const transport = sshTransport({ ...options, ...overrides })
  opened.push(transport)
  return transport
}

beforeAll(async () => {
  server = await startTestSshServer()
  options = {
    host: '127.0.0.1',
    port: server.port,
    username: 'nubis',
    privateKey: server.clientPrivateKey,
    hostKey: sshFingerprint(server.hostPublicKey),
    connectTimeoutMs: 5000,
  }
})
afterAll(async () => {
  await Promise.all(opened.map((t) => t.close()))
  await server.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('sshTransport', () => {
  it('runs argv with hostile characters and gets them back exactly', async () => {
    const transport = connect()
    const result = await transport.exec(['printf', '%s\\0', ...HOSTILE_ARGS])
    expect(splitNul(result.stdout)).toEqual(HOSTILE_ARGS)
    expect(server.commands.at(-1)).toMatch(/^'printf' '%s\\0' 'with space' 'it'\\''s'/)
    expect(transport.describe()).toBe(`ssh nubis@127.0.0.1:${server.port}`)
  })

  it('passes stdin, env and cwd, and reports exit codes and stderr', async () => {
    const transport = connect()
    await expect(transport.exec(['cat'], { stdin: 'over ssh\n' })).resolves.toMatchObject({
      stdout: 'over ssh\n',
    })
    const env = await transport.exec(['sh', '-c', 'printf "%s|" "$X"; pwd'], {
      env: { X: "it's $(x)" },
      cwd: dir,
    })
    expect(env.stdout).toBe(`it's $(x)|${dir}\n`)
    const script = 'echo bad >&2; exit 7'
    await expect(transport.run(['sh', '-c', script])).resolves.toMatchObject({ exitCode: 7, stderr: 'bad\n' })
    await expect(transport.exec(['sh', '-c', script], { stdin: 'TOP-SECRET' })).rejects.toThrowError(
      `Command 'sh' on ssh nubis@127.0.0.1:${server.port} exited with code 7: bad`,
    )
  })

  it('reuses one connection and queues commands beyond maxChannels', async () => {
    const before = server.connections()
    const transport = connect({ maxChannels: 3 })
    const runs = Array.from({ length: 12 }, (_, i) => transport.exec(['sh', '-c', `sleep 0.05; echo ${i}`]))
    const results = await Promise.all(runs)
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 12 }, (_, i) => `${i}\n`))
    expect(server.connections() - before).toBe(1)
    expect(server.peakConcurrency()).toBeLessThanOrEqual(3)
  })

  it('gives up on a command still waiting for a channel when its signal fires', async () => {
    const transport = connect({ maxChannels: 1 })
    const controller = new AbortController()
    const first = transport.run(['sleep', '30'], { signal: controller.signal })
    const queued = transport.run(['echo', 'never'], { signal: AbortSignal.timeout(200) })
    await expect(queued).rejects.toMatchObject({ code: 'TIMEOUT' })
    controller.abort()
    await expect(first).rejects.toMatchObject({ code: 'ABORTED' })
    await expect(transport.exec(['echo', 'free'])).resolves.toMatchObject({ stdout: 'free\n' })
  })

  it('reconnects after the connection drops', async () => {
    const transport = connect()
    await transport.exec(['true'])
    const before = server.connections()
    server.dropConnections()
    await new Promise((resolve) => setTimeout(resolve, 100))
    await expect(transport.exec(['echo', 'again'])).resolves.toMatchObject({ stdout: 'again\n' })
    expect(server.connections()).toBe(before + 1)
  })

  it('kills the remote command on timeout and on abort', async () => {
    const transport = connect()
    const pidFile = join(dir, 'remote.pid')
    const script = `echo $$ > ${pidFile}; exec sleep 30`
    await expect(transport.run(['sh', '-c', script], { timeoutMs: 1500 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    })
    const pid = readPid(pidFile)
    expect(pid).toBeTypeOf('number')
    await expect.poll(() => isAlive(pid as number)).toBe(false)

    const controller = new AbortController()
    const running = transport.run(['sleep', '30'], { signal: controller.signal })
    setTimeout(() => controller.abort(), 100)
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' })
  })

  it('bounds the output', async () => {
    const transport = connect()
    await expect(transport.run(['yes'], { maxOutputBytes: 100_000 })).rejects.toThrow(/exceeded 100000 bytes/)
    await expect(transport.exec(['echo', 'still usable'])).resolves.toMatchObject({
      stdout: 'still usable\n',
    })
  })

  it('refuses a host whose key does not match, without retrying', async () => {
    const other = generateKeyPair()
    const transport = connect({ hostKey: [other.public] })
    const error = await transport.run(['true']).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'DRIVER_FAILED', retryable: false })
    expect(String(error)).toMatch(/does not match the expected key/)
    expect(String(error)).toContain(sshFingerprint(server.hostPublicKey))
  })

  it('accepts the host public key line, a verifier, or an explicit opt-out — and nothing silent', async () => {
    await expect(connect({ hostKey: server.hostPublicKey }).exec(['true'])).resolves.toBeTruthy()
    await expect(
      connect({ hostKey: undefined, hostVerifier: () => true }).exec(['true']),
    ).resolves.toBeTruthy()
    const insecure = connect({ hostKey: undefined, insecureSkipHostKeyCheck: true })
    await expect(insecure.exec(['true'])).resolves.toBeTruthy()
    expect(() => sshTransport({ ...options, hostKey: undefined })).toThrowError(/insecureSkipHostKeyCheck/)
  })

  it('reports bad credentials as a non-retryable DRIVER_FAILED', async () => {
    const stranger = generateKeyPair()
    await expect(connect({ privateKey: stranger.private }).run(['true'])).rejects.toMatchObject({
      code: 'DRIVER_FAILED',
      retryable: false,
      message: expect.stringContaining('authentication failed'),
    })
    expect(() => sshTransport({ ...options, privateKey: 'not a key' })).toThrowError(
      /Invalid SSH private key/,
    )
  })

  it('reports a stopped server as UNAVAILABLE, retryable', async () => {
    const doomed = await startTestSshServer()
    const transport = connect({
      port: doomed.port,
      privateKey: doomed.clientPrivateKey,
      hostKey: sshFingerprint(doomed.hostPublicKey),
    })
    await expect(transport.exec(['true'])).resolves.toBeTruthy()
    await doomed.stop()
    const error = await transport.run(['true']).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'UNAVAILABLE', retryable: true })
    expect(String(error)).toMatch(/ECONNREFUSED/)
  })

  it('fails commands after close()', async () => {
    const transport = sshTransport(options)
    await transport.exec(['true'])
    await transport.close()
    await expect(transport.run(['true'])).rejects.toThrow(/closed/)
  })
})
