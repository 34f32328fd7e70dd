import type { Readable } from 'node:stream'
import type { RequestContext } from '../core/context.js'
import type { ListQueryInput, Page } from '../core/pagination.js'
import type {
  Image,
  ImageCreate,
  ImageFilters,
  ImageMember,
  ImageStatus,
  ImageUpdate,
  ImportRequest,
  MemberStatus,
  UploadExpectations,
} from './schemas.js'

/** Options of {@link ImageApi.uploadImageData} and {@link ImageApi.stageImageData}. */
export interface UploadOptions {
  /** Values the data must match (size, MD5, SHA-512); a mismatch is `INVALID` and keeps nothing. */
  expect?: UploadExpectations
  /** Expected size when the caller knows it (Content-Length), so quota and stores can act before the data ends. */
  sizeHint?: number
  /** The store to write to (upload only); default the cloud's default store. */
  store?: string
}

/** A byte range of an image's data, as an HTTP `Range` asks for. */
export interface ByteRange {
  /** First byte; default 0. */
  offset?: number
  /** Bytes wanted; default to the end. */
  length?: number
}

/** What a download returns. */
export interface ImageDownload {
  /** The bytes (the whole image, or the range asked for). */
  stream: Readable
  /** Size of the whole image in bytes. */
  size: number
  /** First byte of `stream` within the image. */
  offset: number
  /** Bytes in `stream`. */
  length: number
  /** MD5 of the whole image, hex (Glance's `Content-MD5`). */
  checksum: string | null
}

/** A store as `/v2/info/stores` shows it. */
export interface ImageStoreInfo {
  id: string
  description: string
  default: boolean
}

/** Options of {@link ImageApi.waitForImage}. */
export interface WaitForImageOptions {
  /** The status to wait for; `killed` or a failed import ends the wait with an error. */
  status: ImageStatus
  /** Gives up with `TIMEOUT` after this long; default 60 s. */
  timeoutMs?: number
  signal?: AbortSignal
}

/**
 * The Image service (`cloud.image`): Glance v2's images, their data in one or more stores, tags, members and
 * the interoperable import. Every method takes the caller's context first and checks policy; an image the
 * caller may not see is `NOT_FOUND`, never `FORBIDDEN`, so its existence does not leak.
 */
export interface ImageApi {
  /** Creates an image record in status `queued`. */
  createImage(ctx: RequestContext, input: ImageCreate): Promise<Image>
  /** The image `id`, or `NOT_FOUND`. */
  getImage(ctx: RequestContext, id: string): Promise<Image>
  /** One page of the images the caller may see, with Glance's filters. Default sort `createdAt desc`. */
  listImages(ctx: RequestContext, filters?: ImageFilters & ListQueryInput): Promise<Page<Image>>
  /** Changes fields, tags and custom properties (`null` removes a property). */
  updateImage(ctx: RequestContext, id: string, patch: ImageUpdate): Promise<Image>
  /** Deletes an image and its data in every store. A protected image is `FORBIDDEN`. */
  deleteImage(ctx: RequestContext, id: string): Promise<void>
  /** Adds a tag (idempotent). */
  addImageTag(ctx: RequestContext, id: string, tag: string): Promise<void>
  /** Removes a tag; `NOT_FOUND` when the image does not carry it. */
  removeImageTag(ctx: RequestContext, id: string, tag: string): Promise<void>
  /** `active` → `deactivated`: the data can no longer be downloaded (admins only, by default). */
  deactivateImage(ctx: RequestContext, id: string): Promise<void>
  /** `deactivated` → `active`. */
  reactivateImage(ctx: RequestContext, id: string): Promise<void>

  /**
   * Streams data into a `queued` image: status `saving`, size, MD5 and SHA-512 computed in one pass, the format
   * inspected, then `active`. Any failure (mismatch, disconnect, quota, store error) removes the data and puts the
   * image back to `queued`. An image not `queued` is `CONFLICT`.
   */
  uploadImageData(
    ctx: RequestContext,
    id: string,
    source: AsyncIterable<Uint8Array>,
    options?: UploadOptions,
  ): Promise<Image>
  /** The data of an `active` image, or a range of it. A `deactivated` image is `FORBIDDEN` to non-admins. */
  downloadImageData(ctx: RequestContext, id: string, range?: ByteRange): Promise<ImageDownload>
  /** `glance-direct`, step one: streams data into the staging area; the image becomes `uploading`. */
  stageImageData(
    ctx: RequestContext,
    id: string,
    source: AsyncIterable<Uint8Array>,
    options?: UploadOptions,
  ): Promise<Image>
  /**
   * Starts an interoperable import and returns at once with the image `importing` (Glance answers 202): a durable
   * task moves the staged data (`glance-direct`) or copies the active data (`copy-image`) into the target stores.
   * `web-download` is `NOT_SUPPORTED`: this cloud fetches nothing from the network.
   */
  importImage(ctx: RequestContext, id: string, request: ImportRequest): Promise<Image>
  /** Waits until the image reaches `options.status`. */
  waitForImage(ctx: RequestContext, id: string, options: WaitForImageOptions): Promise<Image>

  /** Projects a `shared` image is shared with. Owners see all; a member sees itself. */
  listImageMembers(ctx: RequestContext, id: string): Promise<ImageMember[]>
  /** One membership, or `NOT_FOUND`. */
  getImageMember(ctx: RequestContext, id: string, memberId: string): Promise<ImageMember>
  /** The owner shares an image with a project (status `pending`). The image must be `shared`. */
  addImageMember(ctx: RequestContext, id: string, memberId: string): Promise<ImageMember>
  /** The member accepts or rejects (only the member may change its status). */
  updateImageMember(
    ctx: RequestContext,
    id: string,
    memberId: string,
    status: MemberStatus,
  ): Promise<ImageMember>
  /** The owner stops sharing with a project. */
  removeImageMember(ctx: RequestContext, id: string, memberId: string): Promise<void>

  /** The configured stores. */
  listStores(ctx: RequestContext): Promise<ImageStoreInfo[]>
  /** Import methods this cloud offers (`/v2/info/import`). */
  importMethods(): string[]
}
