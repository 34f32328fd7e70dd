import { describe, expect, it } from 'vitest'
import { CloudError } from '../../src/core/errors.js'
import {
  checkDeclaredFormat,
  type DetectedFormat,
  DISK_FORMATS,
  type DiskFormat,
  type Inspection,
  inspectBuffer,
} from '../../src/image/formats/index.js'
import { isoImage, qcow2Header } from './formats-fixtures.js'

/** The error checkDeclaredFormat throws, or undefined when it accepts. */
function refusal(declared: DiskFormat, found: Inspection): CloudError | undefined {
  try {
    checkDeclaredFormat(declared, found)
    return undefined
  } catch (error) {
    expect(error).toBeInstanceOf(CloudError)
    return error as CloudError
  }
}

const DETECTED: readonly DetectedFormat[] = ['raw', 'qcow2', 'vmdk', 'vhd', 'vhdx', 'iso', 'vdi']
const RAW_LIKE: readonly DiskFormat[] = ['raw', 'ami', 'ari', 'aki', 'ploop']

describe('checkDeclaredFormat', () => {
  it('refuses a raw label on qcow2 data: the classic attack', () => {
    const error = refusal('raw', inspectBuffer(qcow2Header()))
    expect(error?.code).toBe('INVALID')
    expect(error?.message).toBe('Image data declared as raw is a qcow2 image')
    expect(error?.details).toEqual({
      declared: 'raw',
      detected: 'qcow2',
      reason: 'a raw image must not hold a qcow2 image',
    })
  })

  it('refuses a qcow2 label on raw data', () => {
    const error = refusal('qcow2', inspectBuffer(Buffer.from('just some bytes')))
    expect(error?.code).toBe('INVALID')
    expect(error?.message).toBe('Image data declared as qcow2 is not in any recognised format')
    expect(error?.details).toEqual({ declared: 'qcow2', detected: 'raw', reason: 'the data is not qcow2' })
  })

  it('accepts a raw label on an ISO, which is a raw byte image, and an iso label too', () => {
    const iso = inspectBuffer(isoImage(100))
    expect(iso.format).toBe('iso')
    expect(refusal('raw', iso)).toBeUndefined()
    expect(refusal('iso', iso)).toBeUndefined()
  })

  it('refuses every unsafe inspection with INVALID, whatever the label, naming the reason', () => {
    for (const declared of DISK_FORMATS)
      for (const format of DETECTED) {
        const error = refusal(declared, { format, unsafe: 'qcow2 names a backing file' })
        expect(error?.code).toBe('INVALID')
        expect(error?.message).toMatch(/unsafe: qcow2 names a backing file$/)
        expect(error?.details).toEqual({ declared, detected: format, reason: 'qcow2 names a backing file' })
      }
  })

  it('for every label and detected format, accepts exactly what the rules allow', () => {
    for (const declared of DISK_FORMATS)
      for (const format of DETECTED) {
        const allowed = RAW_LIKE.includes(declared)
          ? format === 'raw' || format === 'iso'
          : format === declared
        const error = refusal(declared, { format, virtualSize: 1 })
        expect({ declared, format, accepted: error === undefined }).toEqual({
          declared,
          format,
          accepted: allowed,
        })
        if (error) expect(error.details).toMatchObject({ declared, detected: format })
      }
  })

  it('refuses a label that is not a disk format at all', () => {
    const error = refusal('qed' as DiskFormat, { format: 'raw', virtualSize: 1 })
    expect(error?.code).toBe('INVALID')
    expect(error?.message).toBe('Unknown disk_format "qed"')
  })
})
