/**
 * The task catalog: every graphile-worker task Darkroom queues, with its payload and its limits, shared
 * by the code that enqueues (the API, packages/db's lifecycle, the plpgsql functions' callers) and the
 * worker that runs them.
 */
import { z } from 'zod';
import { HOUSEKEEPING_PRIORITY } from './queue.js';

/** What `generate` carries: only the job's id. Our `jobs` row is the source of truth. */
export const GeneratePayload = z.object({ jobId: z.string().uuid() }).strict();
export type GeneratePayload = z.infer<typeof GeneratePayload>;

export const TASKS = {
  /** One job's run. Retried by graphile-worker when a run crashes (database down, worker killed mid-query). */
  generate: { identifier: 'generate', maxAttempts: 5 },
  /** One webhook delivery; the worker's WEBHOOK_MAX_ATTEMPTS (lower) decides when it is given up. */
  deliver_webhook: { identifier: 'deliver_webhook', maxAttempts: 25, priority: HOUSEKEEPING_PRIORITY },
  /** Cron, every minute: promotion, start deadlines, the abandoned-job sweep. */
  maintain_queue: { identifier: 'maintain_queue', priority: HOUSEKEEPING_PRIORITY },
  /** Cron, hourly: retention (RETENTION_DAYS). */
  retention: { identifier: 'retention', priority: HOUSEKEEPING_PRIORITY },
} as const;
