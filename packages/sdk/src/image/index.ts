export type {
  ByteRange,
  ImageApi,
  ImageDownload,
  ImageStoreInfo,
  UploadOptions,
  WaitForImageOptions,
} from './api.js'
export type { ImageEvent, ImageMemberEvent } from './events.js'
export * from './formats/index.js'
export { IMAGE_SORT_KEYS } from './list.js'
export { MAX_IMAGE_MEMBERS } from './members.js'
export { type ImageOptions, ImageOptionsSchema, type ImageServiceConfig } from './options.js'
export { IMAGE_POLICY } from './policy-rules.js'
export { IMAGE_QUOTAS } from './quota-usage.js'
export * from './schemas.js'
export { createImageService, type ImageServiceDeps } from './service.js'
export type * from './spi.js'
export { checkReadRange, checkStoreImageId } from './store-input.js'
export {
  type ImageLocationsTable,
  type ImageMembersTable,
  type ImageStagingTable,
  type ImagesTable,
  type ImageTagsTable,
  imageMigrations,
} from './tables.js'
