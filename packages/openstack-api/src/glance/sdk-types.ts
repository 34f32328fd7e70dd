import type { Cloud } from '@nubis/sdk'

// The Image service's types as the plugin uses them, read off `cloud.image` in one place: the routes speak of
// these names, so a rename in the SDK touches this file only.

/** The Image service (`cloud.image`). */
export type ImageService = Cloud['image']

/** An image (`getImage`'s result). */
export type Image = Awaited<ReturnType<ImageService['getImage']>>

/** What `createImage` takes. */
export type ImageCreate = Parameters<ImageService['createImage']>[1]

/** What `updateImage` takes. */
export type ImageUpdate = Parameters<ImageService['updateImage']>[2]

/** The filters and paging of `listImages`. */
export type ImageListQuery = NonNullable<Parameters<ImageService['listImages']>[1]>

/** A project an image is shared with. */
export type ImageMember = Awaited<ReturnType<ImageService['getImageMember']>>

/** A membership status a member may set. */
export type MemberStatus = Parameters<ImageService['updateImageMember']>[3]

/** What `importImage` takes. */
export type ImportRequest = Parameters<ImageService['importImage']>[2]

/** A byte range of a download. */
export type ByteRange = NonNullable<Parameters<ImageService['downloadImageData']>[2]>

/** The options of an upload or a staging. */
export type UploadOptions = NonNullable<Parameters<ImageService['uploadImageData']>[3]>
