/**
 * Back ends that keep their data on the local file system: `localImageStore`, an image store of plain files.
 *
 * @packageDocumentation
 */
export * from './image-store.js'
