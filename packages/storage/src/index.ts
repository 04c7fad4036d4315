export { assertValidKey, imageKey, type ImageStorage, type StoredObject } from './storage.js';
export { contentTypeOf } from './content-type.js';
export { createFilesystemStorage, type FilesystemStorageOptions } from './filesystem.js';
export { createS3Storage, type S3StorageOptions } from './s3.js';
export { StorageEnv, StorageEnvShape, checkStorageConfig, createStorage, describeStorage, type StorageConfig } from './config.js';
