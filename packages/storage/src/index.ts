export { assertValidKey, imageKey, type ImageStorage, type StoredObject } from './storage.js';
export { createFilesystemStorage, type FilesystemStorageOptions } from './filesystem.js';
