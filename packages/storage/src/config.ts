/**
 * The storage variables every app that reads or writes images shares (API and worker must agree), as
 * a zod shape each app's env.ts adds to its own schema, plus the cross-variable rules.
 */
import path from 'node:path';
import { Secret } from '@darkroom/core';
import { z } from 'zod';
import { createFilesystemStorage } from './filesystem.js';
import { createS3Storage } from './s3.js';
import type { ImageStorage } from './storage.js';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'write true or false' })
  .transform((text) => ['true', '1', 'yes'].includes(text));

export const StorageEnvShape = {
  /** filesystem (default: a directory shared by API and workers) or s3 (any S3-compatible bucket). */
  STORAGE_DRIVER: z.enum(['filesystem', 's3']).default('filesystem'),
  /** Filesystem image storage root. Default `<DARKROOM_DATA_DIR>/images`. */
  STORAGE_DIR: z
    .string()
    .min(1)
    .transform((dir) => path.resolve(dir))
    .optional(),
  /** Required with STORAGE_DRIVER=s3. */
  S3_BUCKET: z.string().min(3).max(63).optional(),
  /** Default us-east-1. */
  S3_REGION: z.string().min(1).default('us-east-1'),
  /** An S3-compatible server (MinIO, R2, Ceph...); unset: AWS. */
  S3_ENDPOINT: z.string().url().optional(),
  /** Path-style URLs (`host/bucket/key`); most self-hosted servers need true. Default false. */
  S3_FORCE_PATH_STYLE: flag.default(false),
  /** With S3_SECRET_ACCESS_KEY; unset: the AWS SDK's credential chain (environment, instance role). */
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z
    .string()
    .min(1)
    .transform((key) => new Secret(key))
    .optional(),
  /** Prepended to every key, e.g. `darkroom/`. Default none. */
  S3_PREFIX: z
    .string()
    .regex(/^([\w.-]+\/)*$/, 'write a prefix like darkroom/ (ending in /)')
    .default(''),
};

export const StorageEnv = z.object(StorageEnvShape);
export type StorageConfig = z.output<typeof StorageEnv>;

/** Cross-variable rules, for the app schema's superRefine. */
export function checkStorageConfig(config: StorageConfig, ctx: z.RefinementCtx): void {
  if (config.STORAGE_DRIVER !== 's3') return;
  if (!config.S3_BUCKET)
    ctx.addIssue({
      code: 'custom',
      path: ['S3_BUCKET'],
      message: 'S3_BUCKET is required because STORAGE_DRIVER is s3',
    });
  if (Boolean(config.S3_ACCESS_KEY_ID) !== Boolean(config.S3_SECRET_ACCESS_KEY)) {
    ctx.addIssue({
      code: 'custom',
      path: ['S3_SECRET_ACCESS_KEY'],
      message: 'set S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY together, or neither',
    });
  }
}

/** The storage the configuration chooses; `defaultDir` is the filesystem root when STORAGE_DIR is unset. */
export function createStorage(config: StorageConfig, defaultDir: string): ImageStorage {
  if (config.STORAGE_DRIVER === 'filesystem')
    return createFilesystemStorage({ root: config.STORAGE_DIR ?? defaultDir });
  return createS3Storage({
    bucket: config.S3_BUCKET!,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    prefix: config.S3_PREFIX,
    ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
    ...(config.S3_ACCESS_KEY_ID && config.S3_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY.reveal() } }
      : {}),
  });
}

/** A short description for start-up banners: never a credential. */
export function describeStorage(config: StorageConfig, defaultDir: string): string {
  return config.STORAGE_DRIVER === 's3'
    ? `s3://${config.S3_BUCKET}/${config.S3_PREFIX}${config.S3_ENDPOINT ? ` at ${config.S3_ENDPOINT}` : ''}`
    : (config.STORAGE_DIR ?? defaultDir);
}
