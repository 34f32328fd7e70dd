import { type ChildProcess, spawn } from 'node:child_process'
import type { AddressInfo } from 'node:net'
import ssh2 from 'ssh2'

/** A real SSH server in this process, for testing the SSH transport end to end. */
export interface TestSshServer {
  port: number
  /** The server's host public key, OpenSSH format. */
  hostPublicKey: string
  /** A private key the server accepts for any user. */
  clientPrivateKey: string
  /** Every command line received, in order. */
  commands: string[]
  /** Connections accepted so far. */
  connections(): number
  /** Most commands seen running at once. */
  peakConcurrency(): number
  /** Drops every open connection but keeps listening. */
  dropConnections(): void
  /** Stops listening and drops every connection. */
  stop(): Promise<void>
}

/**
 * A fresh ed25519 key pair in OpenSSH format. ssh2 1.17's generator drops a leading zero byte of the public
 * key (about one key in 256), producing a key nothing can parse; such pairs are simply generated again.
 */
export function generateKeyPair(): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519')
    if (!(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair
  }
}

/**
 * Starts an SSH server on 127.0.0.1 with a fresh ed25519 host key. Like OpenSSH, it runs each exec request as
 * `/bin/sh -c <command>`, streams stdout, stderr and the exit status back, and kills the command on a signal
 * request or when the channel closes.
 */
export async function startTestSshServer(): Promise<TestSshServer> {
  const hostKey = generateKeyPair()
  const clientKey = generateKeyPair()
  const allowed = ssh2.utils.parseKey(clientKey.public)
  if (allowed instanceof Error) throw allowed
  const commands: string[] = []
  const clients = new Set<ssh2.Connection>()
  let accepted = 0
  let running = 0
  let peak = 0

  const server = new ssh2.Server({ hostKeys: [hostKey.private] }, (client) => {
    accepted++
    clients.add(client)
    client.on('close', () => clients.delete(client))
    client.on('error', () => {})
    client.on('authentication', (ctx) => {
      const ok =
        ctx.method === 'publickey' &&
        ctx.key.algo === allowed.type &&
        ctx.key.data.equals(allowed.getPublicSSH()) &&
        (!ctx.signature || (ctx.blob !== undefined && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo)))
      if (ok) ctx.accept()
      else ctx.reject(['publickey'])
    })
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession()
        let child: ChildProcess | undefined
        // Signals go to the command's whole process group, as the shell may have forked the real program.
        const kill = (signal: string) => {
          if (child?.pid !== undefined && child.exitCode === null) process.kill(-child.pid, signal)
        }
        session.on('signal', (_accept, _reject, info) => kill(`SIG${info.name}`))
        session.on('exec', (acceptExec, _reject, info) => {
          commands.push(info.command)
          const channel = acceptExec()
          const proc = spawn('/bin/sh', ['-c', info.command], { stdio: 'pipe', detached: true })
          child = proc
          peak = Math.max(peak, ++running)
          proc.stdout.pipe(channel, { end: false })
          proc.stderr.pipe(channel.stderr, { end: false })
          proc.stdin.on('error', () => {})
          channel.pipe(proc.stdin)
          channel.on('close', () => kill('SIGKILL'))
          proc.on('close', (code, signal) => {
            running--
            if (signal) channel.exit(signal, false, '')
            else channel.exit(code ?? 255)
            channel.end()
          })
        })
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const dropConnections = () => {
    for (const client of clients) client.end()
  }
  return {
    port: (server.address() as AddressInfo).port,
    hostPublicKey: `${hostKey.public}`,
    clientPrivateKey: clientKey.private,
    commands,
    connections: () => accepted,
    peakConcurrency: () => peak,
    dropConnections,
    stop: () =>
      new Promise<void>((resolve) => {
        dropConnections()
        server.close(() => resolve())
      }),
  }
}
