// The disk-image format inspector of the Image service: what uploaded bytes really are, whatever the label says.
export { checkDeclaredFormat, DISK_FORMATS, type DiskFormat } from './declared.js'
export { FormatInspector, inspectBuffer } from './inspector.js'
export type { DetectedFormat, Inspection } from './types.js'
