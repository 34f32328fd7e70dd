/**
 * The example Nubis server as a library: `serve` and the back-end doctor. The HTTP front it runs (app factory,
 * error formats, redacting logger) is `@nubis/openstack-api`'s. The `nubis` command lives in `bin.ts`.
 *
 * @packageDocumentation
 */

export { formatDoctor, PROBES, type Probe, type ProbeResult, runDoctor } from './doctor.js'
export { type RunningServer, type ServeOptions, StartupError, serve } from './serve.js'
