/**
 * The API's configuration: environment variables, validated once. Nothing else reads process.env.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreditPricesEnv,
  MAX_IMAGES_PER_JOB,
  MAX_REFERENCE_BYTES,
  nameListEnv,
  parseConfig,
  parsePromptFilter,
  PRIORITIES,
  PROVIDER_NAMES,
  Secret,
  SignUpMode,
  type PriceTable,
  type Priority,
  type PromptFilter,
  type ProviderName,
} from '@darkroom/core';
import { checkStorageConfig, StorageEnvShape } from '@darkroom/storage';
import { TelemetryEnvShape } from '@darkroom/telemetry/setup';
import { defaultAllowedHosts } from './auth/hosts.js';
import { DnsServersEnv, makeOutboundGuard, type OutboundGuard } from '@darkroom/core/outbound';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Fastify's trustProxy: off, a number of hops, or the proxies' addresses and ranges. */
export type TrustProxy = false | number | string[];

function isValidCidr(text: string): boolean {
  if (isIP(text.split('/')[0] ?? '') === 0) return false;
  try {
    ipaddr.parseCIDR(text);
    return true;
  } catch {
    return false;
  }
}

const ApiEnv = z.object({
  /** Postgres connection string. Unset: an embedded Postgres under DARKROOM_DATA_DIR (single-machine mode). */
  DATABASE_URL: z.string().url().optional(),
  /** Where embedded Postgres and filesystem images live. Default `.darkroom` in the working directory. */
  DARKROOM_DATA_DIR: z
    .string()
    .min(1)
    .default('.darkroom')
    .transform((dir) => path.resolve(dir)),
  /** Image storage: STORAGE_DRIVER, STORAGE_DIR, S3_* (shared with the worker; see @darkroom/storage). */
  ...StorageEnvShape,
  /** Traces over OTLP: off unless OTEL_EXPORTER_OTLP_ENDPOINT is set (see @darkroom/telemetry/setup). */
  ...TelemetryEnvShape,
  /** Where people reach Darkroom (https://darkroom.example.com); its host is one the server answers to. */
  PUBLIC_URL: z.string().url().optional(),
  /**
   * Host names the server answers to, comma-separated (`.example.com` for every subdomain, `*` for any).
   * Default: PUBLIC_URL's host, else the listen address, this machine's addresses and localhost.
   * Other Host headers are refused with 421 (DNS rebinding).
   */
  ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((host) => host.trim())
        .filter(Boolean),
    ),
  /** Address to listen on. Default 127.0.0.1; set 0.0.0.0 behind a load balancer. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Port to listen on. Default 3000; 0 picks a free one. */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** The built web app to serve. Default apps/web/dist. */
  WEB_DIST_DIR: z.string().min(1).default(path.resolve(here, '../../web/dist')),
  /**
   * On SIGINT/SIGTERM: live streams end at once (clients reconnect to another replica); other requests
   * in flight get this long (ms), then their connections are closed. Default 10000.
   */
  API_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** Database connections per API process. Default 10. */
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** A queue longer than this makes `queue.status` a warning. Default 100. */
  QUEUE_WARN_LENGTH: z.coerce.number().int().min(0).default(100),
  /** How old a `queue.status` answer may be, in ms: each API process reuses one for this long. 0: always fresh. Default 1000. */
  QUEUE_STATUS_MAX_AGE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  /** A worker silent this long (seconds) is not counted alive; match the workers' setting. Default 30. */
  WORKER_DEAD_AFTER_SECONDS: z.coerce.number().int().min(5).default(30),
  /** When set, /metrics asks for `Authorization: Bearer <METRICS_TOKEN>`. Default: open. */
  METRICS_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  /**
   * Providers this deployment runs (the workers' PROVIDERS_ENABLED; set both alike): what GET /v1/models
   * and the price list offer. Default local,mock.
   */
  PROVIDERS_ENABLED: nameListEnv(PROVIDER_NAMES, 'providers', 'local,mock'),
  /** Credits every new account starts with. Default 100. */
  STARTING_CREDITS: z.coerce.number().int().min(0).max(1_000_000_000).default(100),
  /** Credits per image, `provider[/model or /quality]:credits` pairs; unlisted providers cost 1. Default local:1,mock:1. */
  CREDIT_PRICES: CreditPricesEnv,
  /** This account is an admin whenever it signs up. Unset: only the first account is. */
  ADMIN_EMAIL: z.string().trim().toLowerCase().email().optional(),
  /** How long a sign-in lasts, in hours. Default 720 (30 days). */
  SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 365)
    .default(720),
  /** Mark the session cookie Secure (set it when Darkroom is served over HTTPS). Default false. */
  COOKIE_SECURE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /** Other origins allowed to send mutations with the cookie, comma-separated (e.g. a dev server). Default none. */
  TRUSTED_ORIGINS: z
    .string()
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((origin) => origin.trim().replace(/\/$/, ''))
        .filter(Boolean),
    ),
  /** Jobs one user may submit per minute, across all API replicas (a batch counts each job). Default 300. */
  SUBMITS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(300),
  /** Queued + running jobs one user may have at once. Default 500. */
  MAX_ACTIVE_JOBS_PER_USER: z.coerce.number().int().min(1).max(1_000_000).default(500),
  /** Images one job may ask for, at most core's MAX_IMAGES_PER_JOB (32). Default 32. */
  MAX_IMAGES_PER_JOB: z.coerce.number().int().min(1).max(MAX_IMAGES_PER_JOB).default(MAX_IMAGES_PER_JOB),
  /** Failed log-in attempts per account per 15 minutes before it is throttled. Default 10. */
  LOGIN_ATTEMPTS_PER_ACCOUNT: z.coerce.number().int().min(1).max(100_000).default(10),
  /** Log-in attempts per IP address per 15 minutes. Default 100. */
  LOGIN_ATTEMPTS_PER_IP: z.coerce.number().int().min(1).max(1_000_000).default(100),
  /** Accounts one IP address may create per hour (checked before the password is hashed). Default 10. */
  SIGNUPS_PER_IP_PER_HOUR: z.coerce.number().int().min(1).max(1_000_000).default(10),
  /** Sign-ups per IP address per 24 hours that get STARTING_CREDITS; later ones start at 0. Default 5. */
  FUNDED_SIGNUPS_PER_IP_PER_DAY: z.coerce.number().int().min(0).max(1_000_000).default(5),
  /**
   * Who may create an account over HTTP: `open` (anyone), `invite` (with a code an admin made in the admin
   * view or with `darkroom:admin invite create`), `closed` (only the admin command). Default open.
   */
  SIGNUP_MODE: SignUpMode.default('open'),
  /** Reference images one account may keep. Default 200. */
  MAX_REFERENCES_PER_USER: z.coerce.number().int().min(1).max(1_000_000).default(200),
  /** The largest reference upload, in bytes (the body is not read past it). Default 10485760 (10 MiB). */
  REFERENCE_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(MAX_REFERENCE_BYTES),
  /** The most pixels (width x height) a reference may have; larger ones are refused before decoding. Default 40000000. */
  REFERENCE_MAX_PIXELS: z.coerce.number().int().min(1).max(1_000_000_000).default(40_000_000),
  /** Bytes of uploaded images (assets) one account may keep together. Default 1073741824 (1 GiB). */
  ASSET_QUOTA_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024 * 1024),
  /** Reference uploads one account may make per minute, across all API replicas. Default 30. */
  REFERENCE_UPLOADS_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(30),
  /** Live streams (jobs.feed, jobs.onUpdate) and OpenAI-compatible waiting requests one account may hold open per API process. Default 20. */
  MAX_STREAMS_PER_USER: z.coerce.number().int().min(1).max(100_000).default(20),
  /** The same, for all accounts together, per API process. Default 5000. */
  MAX_STREAMS_PER_PROCESS: z.coerce.number().int().min(1).max(1_000_000).default(5000),
  /**
   * Priorities ordinary accounts may ask for; admins may use any. urgent and high go ahead of everyone
   * else's normal jobs, so they are not for anyone who signs up. Default low,normal.
   */
  PRIORITY_ALLOWED: nameListEnv(PRIORITIES, 'priorities', 'low,normal'),
  /**
   * The operator's content policy: prompts matching any entry (`word, two words, /pattern/`; whole words,
   * any case, accents and full-width forms folded) are refused at submit. Default: none.
   */
  PROMPT_FILTER: z
    .string()
    .default('')
    .transform((text, ctx): PromptFilter => {
      try {
        return parsePromptFilter(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** Let other sites embed signed image links (`<img src>`): they are answered with CORP cross-origin. Default false. */
  SIGNED_LINKS_EMBEDDABLE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /** Procedures one tRPC batch request may call (the web app batches at most 10). Default 10. */
  TRPC_MAX_BATCH_SIZE: z.coerce.number().int().min(1).max(100).default(10),
  /**
   * Behind a load balancer: take the client's address from X-Forwarded-For, trusting that many proxy
   * hops (`1`) or only these proxies (`10.0.0.2,10.0.1.0/24`). Default false (the socket's address).
   */
  TRUST_PROXY: z
    .string()
    .default('false')
    .transform((text, ctx): TrustProxy => {
      const value = text.trim();
      if (value === 'false' || value === '') return false;
      if (/^\d{1,2}$/.test(value) && Number(value) > 0) return Number(value);
      const proxies = value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean);
      const bad = proxies.filter((entry) => !(isIP(entry) !== 0 || isValidCidr(entry)));
      if (value === 'true' || proxies.length === 0 || bad.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `name how many proxies stand in front (e.g. 1) or their addresses (e.g. 10.0.0.2,10.0.1.0/24), not ${value === 'true' ? '"true" (that trusts any client\'s X-Forwarded-For)' : bad.join(', ')}`,
        });
        return z.NEVER;
      }
      return proxies;
    }),
  /**
   * Signs expiring image links (POST /images/:id/signed-url); at least 32 characters, the same on every
   * API replica. Unset: a random one kept in the database (table instance_secrets), which every replica
   * on that database shares; a warning at start says so.
   */
  IMAGE_URL_SECRET: z
    .string()
    .min(32, 'use at least 32 random characters')
    .transform((secret) => new Secret(secret))
    .optional(),
  /** How long POST /v1/images/generations (OpenAI-compatible) waits for its job before canceling it, in seconds. Default 120. */
  OPENAI_COMPAT_WAIT_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
  /** Accept webhook URLs on loopback and private addresses (tests, a trusted internal network); workers have the same switch. Default false. */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  /** The DNS servers that webhook hosts are resolved with (comma-separated host[:port]). Default: the system's. */
  DNS_SERVERS: DnsServersEnv,
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

/** What reference uploads are held to (MAX_REFERENCES_PER_USER, REFERENCE_MAX_BYTES, ...). */
export interface ReferenceLimits {
  /** References one account may keep. */
  maxPerUser: number;
  /** The largest body, in bytes. */
  maxBytes: number;
  /** The most pixels an image may have; checked from its header before it is decoded. */
  maxPixels: number;
  /** Uploads per account per minute. */
  uploadsPerMinute: number;
  /** Bytes of stored assets one account may keep together (ASSET_QUOTA_BYTES); unset: no byte quota. */
  quotaBytes?: number;
}

/** What accounts, credits and limits follow; built from the config, and by tests directly. */
export interface AccountSettings {
  startingCredits: number;
  prices: PriceTable;
  /** Providers the workers run (PROVIDERS_ENABLED). */
  enabledProviders: ProviderName[];
  adminEmail: string | null;
  sessionTtlMs: number;
  cookieSecure: boolean;
  trustedOrigins: string[];
  /** Host names requests may be addressed to (421 otherwise), or any. */
  allowedHosts: string[] | 'any';
  submitsPerMinute: number;
  maxActiveJobsPerUser: number;
  /** Images one job may ask for (MAX_IMAGES_PER_JOB, at most core's 32); unset: core's limit. */
  maxImagesPerJob?: number;
  loginAttemptsPerAccount: number;
  loginAttemptsPerIp: number;
  signUpsPerIpPerHour: number;
  trpcMaxBatchSize: number;
  /** Priorities ordinary accounts may ask for (admins: all). */
  allowedPriorities: Priority[];
  /** Prompts matching it are refused at submit (PROMPT_FILTER). */
  promptFilter: PromptFilter;
  /** How often a live stream checks that its credentials still stand (revoked key, ended session), in ms. */
  streamRecheckMs: number;
  /** Signed image links may be embedded cross-site (SIGNED_LINKS_EMBEDDABLE). */
  signedLinksEmbeddable: boolean;
  maxStreamsPerUser: number;
  maxStreamsPerProcess: number;
  fundedSignUpsPerIpPerDay: number;
  /** Who may sign up over HTTP (SIGNUP_MODE). */
  signUpMode: SignUpMode;
  /** Caps on reference uploads, per account. */
  references: ReferenceLimits;
  /** A queue longer than this makes `queue.status` a warning. */
  warnQueueLength: number;
  /** A worker whose heartbeat is older than this is not counted alive, in seconds. */
  workerDeadAfterSeconds: number;
  /** How long one `queue.status` answer is reused by this process, in ms (0: never). */
  queueStatusMaxAgeMs: number;
  /**
   * Where user-named URLs (webhooks) may lead: resolved and classified at submit, refused unless
   * public (WEBHOOK_ALLOW_PRIVATE_TARGETS lets private ones through).
   */
  outbound: OutboundGuard;
}

export function accountSettingsFrom(config: ApiConfig): AccountSettings {
  return {
    startingCredits: config.STARTING_CREDITS,
    prices: config.CREDIT_PRICES,
    enabledProviders: config.PROVIDERS_ENABLED,
    adminEmail: config.ADMIN_EMAIL ?? null,
    allowedHosts: defaultAllowedHosts({
      listenHost: config.HOST,
      publicUrl: config.PUBLIC_URL,
      allowedHosts: config.ALLOWED_HOSTS,
    }),
    sessionTtlMs: config.SESSION_TTL_HOURS * 3600_000,
    cookieSecure: config.COOKIE_SECURE,
    trustedOrigins: config.TRUSTED_ORIGINS,
    submitsPerMinute: config.SUBMITS_PER_MINUTE,
    maxActiveJobsPerUser: config.MAX_ACTIVE_JOBS_PER_USER,
    maxImagesPerJob: config.MAX_IMAGES_PER_JOB,
    loginAttemptsPerAccount: config.LOGIN_ATTEMPTS_PER_ACCOUNT,
    loginAttemptsPerIp: config.LOGIN_ATTEMPTS_PER_IP,
    signUpsPerIpPerHour: config.SIGNUPS_PER_IP_PER_HOUR,
    trpcMaxBatchSize: config.TRPC_MAX_BATCH_SIZE,
    allowedPriorities: config.PRIORITY_ALLOWED,
    promptFilter: config.PROMPT_FILTER,
    streamRecheckMs: 60_000,
    signedLinksEmbeddable: config.SIGNED_LINKS_EMBEDDABLE,
    maxStreamsPerUser: config.MAX_STREAMS_PER_USER,
    maxStreamsPerProcess: config.MAX_STREAMS_PER_PROCESS,
    fundedSignUpsPerIpPerDay: config.FUNDED_SIGNUPS_PER_IP_PER_DAY,
    signUpMode: config.SIGNUP_MODE,
    references: {
      maxPerUser: config.MAX_REFERENCES_PER_USER,
      maxBytes: config.REFERENCE_MAX_BYTES,
      maxPixels: config.REFERENCE_MAX_PIXELS,
      uploadsPerMinute: config.REFERENCE_UPLOADS_PER_MINUTE,
      quotaBytes: config.ASSET_QUOTA_BYTES,
    },
    warnQueueLength: config.QUEUE_WARN_LENGTH,
    workerDeadAfterSeconds: config.WORKER_DEAD_AFTER_SECONDS,
    queueStatusMaxAgeMs: config.QUEUE_STATUS_MAX_AGE_MS,
    outbound: makeOutboundGuard({ allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_TARGETS, dnsServers: config.DNS_SERVERS }),
  };
}
