// Glance's default policy (2023.1 "secure RBAC" defaults), written with the BASE_RULES of core/policy.ts.
// Targets are flat objects built by the service:
//   project_id  the image's owner (so project-scoped rules read as in Glance)
//   owner       the same, under Glance's other name for it
//   visibility  the image's visibility
//   member_id   for member actions: the member project
// Whether an image is visible at all (owner, public, community, accepted member) is decided in the query, so an
// image a caller may not see is NOT_FOUND, never FORBIDDEN; these rules decide what a caller may do with it.

const ADMIN = 'role:admin'
const OWNER_MEMBER = `${ADMIN} or (role:member and project_id:%(owner)s)`
const READER = `${ADMIN} or role:reader`
const OWNER_READER = `${ADMIN} or (role:reader and project_id:%(owner)s)`

/** The default rules of every Image action, by Glance's action names prefixed `image:`. */
export const IMAGE_POLICY: Readonly<Record<string, string>> = Object.freeze({
  'image:add_image': `${ADMIN} or (role:member and project_id:%(owner)s)`,
  'image:get_image': READER,
  'image:get_images': READER,
  'image:modify_image': OWNER_MEMBER,
  'image:delete_image': OWNER_MEMBER,
  'image:publicize_image': ADMIN,
  'image:communitize_image': OWNER_MEMBER,
  'image:upload_image': OWNER_MEMBER,
  'image:download_image': READER,
  'image:stage_image': OWNER_MEMBER,
  'image:import_image': OWNER_MEMBER,
  'image:copy_image': ADMIN,
  'image:deactivate': OWNER_MEMBER,
  'image:reactivate': OWNER_MEMBER,
  'image:get_image_location': ADMIN,
  'image:add_member': OWNER_MEMBER,
  'image:get_members': READER,
  'image:get_member': READER,
  'image:modify_member': `${ADMIN} or (role:member and project_id:%(member_id)s)`,
  'image:delete_member': OWNER_MEMBER,
  'image:list_stores': READER,
  'image:get_images_owned': OWNER_READER,
})
