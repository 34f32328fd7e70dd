export { commandFailed, defineTransport, stderrTail } from './exec.js'
export { type LocalTransportOptions, localTransport } from './local.js'
export { assertArgv, quoteWord, shellQuote } from './quote.js'
export { type SshTransportOptions, sshFingerprint, sshTransport } from './ssh.js'
export {
  DEFAULT_MAX_OUTPUT_BYTES,
  type ExecOptions,
  type RunOptions,
  type RunResult,
  type Transport,
  type TransportImpl,
} from './types.js'
