/**
 * The API's configuration: environment variables, validated once. Nothing else reads process.env.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, Secret } from '@darkroom/core';
import { checkStorageConfig, StorageEnvShape } from '@darkroom/storage';
import { z } from 'zod';

const here = path.dirname(fileURLToPath(import.meta.url));

const ApiEnv = z.object({
  /** Postgres connection string. Unset: an embedded Postgres under DARKROOM_DATA_DIR (single-machine mode). */
  DATABASE_URL: z.string().url().optional(),
  /** Where embedded Postgres and filesystem images live. Default `.darkroom` in the working directory. */
  DARKROOM_DATA_DIR: z.string().min(1).default('.darkroom').transform((dir) => path.resolve(dir)),
  /** Image storage: STORAGE_DRIVER, STORAGE_DIR, S3_* (shared with the worker; see @darkroom/storage). */
  ...StorageEnvShape,
  /** Address to listen on. Default 127.0.0.1; set 0.0.0.0 behind a load balancer. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Port to listen on. Default 3000; 0 picks a free one. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** The built web app to serve. Default apps/web/dist. */
  WEB_DIST_DIR: z.string().min(1).default(path.resolve(here, '../../web/dist')),
  /** Database connections per API process. Default 10. */
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /**
   * Signs expiring image links (POST /images/:id/signed-url); at least 32 characters, the same on every
   * API replica. Unset: a random secret per process, so links work only on the process that made them.
   */
  IMAGE_URL_SECRET: z
    .string()
    .min(32, 'use at least 32 random characters')
    .transform((secret) => new Secret(secret))
    .optional(),
  /** pino level. Default info. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** Every variable the API reads (.env.example must list each). */
export const API_ENV_VARIABLES = Object.keys(ApiEnv.shape);

export type ApiConfig = z.infer<typeof ApiEnv> & { STORAGE_DIR: string };

/** Parses `env` (default: process.env) or throws one error that lists every bad variable. */
export function loadApiConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  const config = parseConfig('API', ApiEnv.superRefine(checkStorageConfig), env);
  return { ...config, STORAGE_DIR: config.STORAGE_DIR ?? path.join(config.DARKROOM_DATA_DIR, 'images') };
}
