import type { ModerationLevel, RetryPolicy } from '@darkroom/core';
import type { Db, JobChangeFeed } from '@darkroom/db';
import type { ImageProvider } from '@darkroom/providers';
import type { ImageStorage } from '@darkroom/storage';
import type { Logger } from 'pino';
import type { ProviderGate } from '../provider-gate.js';
import type { PreviewSettings } from './progress.js';
import type { SupersededError } from '@darkroom/db';

export interface PipelineDeps {
  db: Db;
  storage: ImageStorage;
  providerFor: (name: string) => ImageProvider;
  /**
   * Whether this worker runs a provider. A job needing one it does not run fails `provider_unavailable`
   * (refunded) rather than run elsewhere at its price. Default: every provider `providerFor` knows.
   */
  isEnabled?: (name: string) => boolean;
  log: Logger;
  /**
   * Names this process on the job's `started` and `released` events, which the job's owner reads: an
   * opaque id (its database session name), never host:pid (F21). The admin's worker list maps it back.
   */
  workerId: string;
  /**
   * The least strict moderation any job runs at (MODERATION_MIN): a job that asked for less runs at this,
   * and its timeline says so. Default standard.
   */
  moderationMin?: ModerationLevel;
  /**
   * Step progress and previews of running images (engines that report them), written at most once per
   * `intervalMs` per image; false: neither is recorded. Default false.
   */
  previews?: PreviewSettings | false;
  /** Images of one job generated at once. */
  imageConcurrency: number;
  /** Tries per image for errors that may pass (transient, timeout, rate limited). Default IMAGE_RETRY's 3. */
  maxImageAttempts?: number;
  /** When an image's provider errors are tried again (core's IMAGE_RETRY; maxImageAttempts overrides its count). */
  imageRetry?: RetryPolicy;
  /** When storing an image already paid for is tried again (core's STORE_RETRY). */
  storeRetry?: RetryPolicy;
  /**
   * How often a running job checks whether it was canceled, in ms. Default 5000 with `jobChanges` (the
   * check is then only the safety net for a missed notification), 500 without.
   */
  cancelCheckMs?: number;
  /** Job changes announced by Postgres: a cancel is heard at once instead of at the next check. */
  jobChanges?: JobChangeFeed;
  /** Running jobs one user may have at once across all workers; 0 = no cap. Default 0. */
  maxRunningPerUser?: number;
  /** Per-provider concurrency and rate limits shared by all workers. Default: none. */
  gate?: ProviderGate;
  /** Aborted when the worker starts shutting down: runs start no new image and hand the rest back. */
  drainSignal?: AbortSignal;
  /** Aborted when the shutdown grace period is over: images in flight are abandoned too. */
  shutdownSignal?: AbortSignal;
  /**
   * Providers tried in order when an image's provider is down (its attempts ended in one of
   * PROVIDER_DOWN_CODES). Default none.
   */
  fallbackOrder?: readonly string[];
  /**
   * What an image costs on a provider (CREDIT_PRICES): a fallback that costs more than the job's price
   * (fixed at submit, what the caller agreed to) is skipped. Default: every fallback is allowed.
   */
  priceOf?: (provider: string, quality: string | null, kind?: string) => number;
  /**
   * Called when a run finds another worker has claimed its job (`SupersededError`): this worker was
   * declared dead, so it must stop as a whole, as it does when its heartbeat finds its row gone.
   */
  onSuperseded?: (error: SupersededError) => void;
}
