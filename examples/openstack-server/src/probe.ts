import { execFile } from 'node:child_process'
import { constants } from 'node:fs'
import { access, open } from 'node:fs/promises'

/** What `nubis doctor` found out about one back end. */
export interface ProbeResult {
  /** Short stable name, e.g. `libvirt`, `kvm`, `ceph`. */
  name: string
  /** Whether a real driver could use it on this machine. */
  available: boolean
  /** Version reported by the tool, when it runs. */
  version?: string
  /** Why it is not available (and how to install it on Debian); for available ones, a caveat. */
  reason?: string
}

/** Output of a command that exited 0. */
export interface CommandOutput {
  stdout: string
  stderr: string
}

/** Per-command limit: probes only ask for versions, so anything slower is treated as broken. */
export const PROBE_TIMEOUT_MS = 3000

/**
 * sbin directories are not on a normal user's PATH, but `ip`, `lvm`, `iptables`, `ipset` and `modinfo` live
 * there; the probes look there too so the answer does not depend on who runs the doctor.
 */
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin']

function probePath(): string {
  const path = (process.env.PATH ?? '').split(':').filter(Boolean)
  return [...path, ...SBIN.filter((dir) => !path.includes(dir))].join(':')
}

/**
 * Runs `file` with `args` (no shell) and resolves with its output, or undefined when it is missing, fails or
 * times out. Locale is pinned so version strings parse the same everywhere.
 */
export function run(file: string, args: readonly string[]): Promise<CommandOutput | undefined> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        timeout: PROBE_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 1024 * 1024,
        env: { ...process.env, PATH: probePath(), LC_ALL: 'C' },
      },
      (error, stdout, stderr) =>
        resolve(error ? undefined : { stdout: String(stdout), stderr: String(stderr) }),
    )
  })
}

/** True when `path` exists (any type, including device nodes). */
export async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK)
    return true
  } catch {
    return false
  }
}

/** True when this process can open `path` for reading and writing, as QEMU must do with /dev/kvm. */
export async function openable(path: string): Promise<boolean> {
  try {
    const handle = await open(path, constants.O_RDWR)
    await handle.close()
    return true
  } catch {
    return false
  }
}

/** The first dotted version number in `text` (`QEMU emulator version 7.2.19` → `7.2.19`). */
export function versionIn(text: string | undefined): string | undefined {
  return text?.match(/\d+\.\d+(?:\.\d+)?(?:[-+~][\w.+~-]*)?/)?.[0]
}

/** Runs a `--version`-style command and returns the version it prints, or undefined when it does not run. */
export async function versionOf(
  file: string,
  args: readonly string[] = ['--version'],
): Promise<string | undefined> {
  const output = await run(file, args)
  if (!output) return undefined
  return versionIn(output.stdout) ?? versionIn(output.stderr) ?? 'unknown'
}

/** Debian's multiarch directory for this CPU, where shared libraries such as libvirt.so.0 live. */
export function multiarchLibDir(): string {
  const triplets: Record<string, string> = {
    x64: 'x86_64-linux-gnu',
    arm64: 'aarch64-linux-gnu',
    ppc64: 'powerpc64le-linux-gnu',
    s390x: 's390x-linux-gnu',
  }
  return `/usr/lib/${triplets[process.arch] ?? `${process.arch}-linux-gnu`}`
}

/** QEMU's name for this CPU in `qemu-system-<arch>`. */
export function qemuArch(): string {
  const names: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ppc64: 'ppc64', s390x: 's390x' }
  return names[process.arch] ?? process.arch
}

/** True when the dynamic linker's cache lists `soname` (`ldconfig -p`). */
export async function inLinkerCache(soname: string): Promise<boolean> {
  const output = await run('ldconfig', ['-p'])
  return output?.stdout.split('\n').some((line) => line.trim().startsWith(`${soname} `)) ?? false
}

/** The reason text for a tool that is not installed. */
export function notInstalled(what: string, debianPackage: string): string {
  return `${what} not found (Debian: apt-get install ${debianPackage})`
}
