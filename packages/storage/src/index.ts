export {
  assertValidKey,
  imageKey,
  thumbnailKey,
  type ImageStorage,
  type ListedObject,
  type ObjectPage,
  type StoredObject,
} from './storage.js';
export { makeThumbnail, THUMBNAIL_SIZE } from './thumbnail.js';
export { contentTypeOf } from './content-type.js';
export { createFilesystemStorage, type FilesystemStorageOptions } from './filesystem.js';
export { createS3Storage, type S3StorageOptions } from './s3.js';
export {
  StorageEnv,
  StorageEnvShape,
  checkStorageConfig,
  createStorage,
  describeStorage,
  type StorageConfig,
} from './config.js';
export { encodeAs, formatInfo } from './convert.js';
