// The events of the Image service. Payloads carry the image id and owner so listeners can filter without a lookup.

/** An image event's payload. */
export interface ImageEvent {
  id: string
  owner: string | null
  status: string
}

/** A membership event's payload. */
export interface ImageMemberEvent {
  id: string
  memberId: string
  status: string
}

declare module '../core/events.js' {
  interface CloudEventMap {
    'image.image.created': ImageEvent
    'image.image.updated': ImageEvent
    'image.image.deleted': ImageEvent
    'image.image.uploaded': ImageEvent & { size: number; store: string }
    'image.image.imported': ImageEvent & { stores: string[] }
    'image.member.created': ImageMemberEvent
    'image.member.updated': ImageMemberEvent
    'image.member.deleted': ImageMemberEvent
  }
}
