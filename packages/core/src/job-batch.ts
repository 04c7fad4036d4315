/**
 * Several jobs submitted at once, and how the batch reads as a whole.
 */
import { z } from 'zod';
import { JobRequest } from './job-request.js';
import { JobView } from './job-view.js';

/** The most jobs one batch may hold. */
export const MAX_BATCH_SIZE = 100;

/** Several jobs submitted at once: validated all-or-nothing, inserted in one transaction. */
export const BatchRequest = z.object({
  requests: z.array(JobRequest).min(1).max(MAX_BATCH_SIZE),
});
export type BatchRequestInput = z.input<typeof BatchRequest>;
export type BatchRequest = z.output<typeof BatchRequest>;

export const BatchRef = z.object({ batchId: z.string().uuid() });

/** A batch as a whole: its jobs and how far they have got together. */
export const BatchView = z.object({
  batchId: z.string(),
  jobs: z.array(JobView),
  counts: z.object({
    queued: z.number().int(),
    running: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    canceled: z.number().int(),
  }),
  images: z.object({ total: z.number().int(), succeeded: z.number().int(), failed: z.number().int() }),
  /** 0-100, over all the batch's images. */
  progress: z.number().int().min(0).max(100),
  done: z.boolean(),
});
export type BatchView = z.infer<typeof BatchView>;
