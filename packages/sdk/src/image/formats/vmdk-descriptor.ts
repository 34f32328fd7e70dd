// A VMDK descriptor is the text that says which files hold the disk: `createType="…"` plus extent lines such as
//
//   RW 131072 SPARSE "disk.vmdk"          access, size in sectors, extent type, file name, [offset]
//
// A sparse VMDK embeds one at sector 1, naming itself. qemu follows the names in a descriptor (a FLAT extent
// naming "/etc/shadow" serves that host file as the guest's disk) and takes `parentFileNameHint` anywhere in the
// text as a backing file, so the parse here is deliberately narrow, as Glance's is: ASCII only, every line must
// be a comment, a `ddb.` line, a `key=value` field or an extent, and anything else makes the descriptor unsafe.

/** One extent line of a descriptor. */
export interface VmdkExtent {
  /** RW, RDONLY or NOACCESS, as written. */
  readonly access: string
  /** Size in 512-byte sectors. */
  readonly sectors: number
  /** Extent type as written, e.g. SPARSE, FLAT, VMFS. */
  readonly type: string
  /** The file it names, when it names one. */
  readonly file?: string
}

/** What the narrow parse of a descriptor found. */
export interface VmdkDescriptor {
  /** The createType value without quotes, when there is one. */
  readonly createType?: string
  /** Every extent line, in order. */
  readonly extents: readonly VmdkExtent[]
  /** True when `parentFileNameHint` appears anywhere, even in a comment: qemu searches the raw text for it. */
  readonly namesParent: boolean
  /** True when some line is none of the shapes allowed. */
  readonly hasUnknownLine: boolean
}

/** The createType values Glance accepts (its default `vmdk_allowed_types`): both keep the data in the image. */
export const VMDK_ALLOWED_TYPES: readonly string[] = ['monolithicSparse', 'streamOptimized']

const EXTENT = /^(rw|rdonly|noaccess)\s+(\d+)\s+([a-z]+)(?:\s+"([^"]*)"(?:\s+\d+)?)?$/i
const ACCESS = /^(rw|rdonly|noaccess)\b/i
const FIELD = /^([a-z][\w.]*)\s*=\s*(.*)$/i
/** Printable ASCII plus tab, CR and LF: a descriptor is plain text. */
const PLAIN_TEXT = /^[\t\n\r\x20-\x7e]*$/
/** Longest createType echoed in a message, so a hostile descriptor cannot fill the logs. */
const MAX_ECHO = 64

/** Parses descriptor text narrowly; undefined when it is not plain ASCII text. */
export function parseVmdkDescriptor(text: string): VmdkDescriptor | undefined {
  if (!PLAIN_TEXT.test(text)) return undefined
  let createType: string | undefined
  const extents: VmdkExtent[] = []
  let hasUnknownLine = false
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || /^ddb\./i.test(line)) continue
    const extent = EXTENT.exec(line)
    if (extent) {
      const [, access = '', sectors = '0', type = '', file] = extent
      extents.push({ access, sectors: Number(sectors), type, ...(file !== undefined && { file }) })
      continue
    }
    const field = ACCESS.test(line) ? null : FIELD.exec(line)
    if (field) {
      if (field[1]?.toLowerCase() === 'createtype') createType = unquote(field[2] ?? '')
      continue
    }
    hasUnknownLine = true
  }
  return {
    ...(createType !== undefined && { createType }),
    extents,
    namesParent: /parentfilenamehint/i.test(text),
    hasUnknownLine,
  }
}

/**
 * Why the descriptor embedded in a sparse VMDK is unsafe: it must be a single SPARSE extent (the image itself)
 * of an allowed createType, naming no parent and no path.
 */
export function embeddedDescriptorProblems(descriptor: VmdkDescriptor | undefined): string[] {
  if (!descriptor) return ['vmdk descriptor is not plain ASCII text']
  const reasons: string[] = []
  if (descriptor.hasUnknownLine) reasons.push('vmdk descriptor has a line the inspector does not accept')
  if (descriptor.namesParent) reasons.push('vmdk names a parent file')
  const type = descriptor.createType
  if (type === undefined) reasons.push('vmdk descriptor has no createType')
  else if (!VMDK_ALLOWED_TYPES.some((allowed) => allowed.toLowerCase() === type.toLowerCase()))
    reasons.push(`vmdk createType ${type.slice(0, MAX_ECHO)} is not allowed`)
  if (descriptor.extents.length === 0) reasons.push('vmdk descriptor has no extent')
  if (descriptor.extents.length > 1) reasons.push('vmdk descriptor names extent files')
  for (const extent of descriptor.extents) {
    if (extent.type.toUpperCase() !== 'SPARSE')
      reasons.push(`vmdk ${extent.type.slice(0, MAX_ECHO).toUpperCase()} extent is not allowed`)
    if (extent.file !== undefined && /[/\\]/.test(extent.file)) reasons.push('vmdk extent names a path')
  }
  return reasons
}

/** A value without the double quotes around it, if it has them. */
function unquote(value: string): string {
  const trimmed = value.trim()
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1)
    : trimmed
}
