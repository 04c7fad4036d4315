/**
 * A job's timeline: every event type and the shape of its data, in one place.
 *
 * The writers (packages/db's lifecycle, the worker's pipeline, and the plpgsql functions
 * darkroom_accept_job and darkroom_claim_job) write these shapes; `JobEventView` reads them back; the
 * web app's timeline renders them. `jobEventData(type, data)` parses a stored row into its typed form,
 * and a row written by an older version that no longer fits comes back as `{ type, data: null }`
 * rather than failing the read.
 */
import { z } from 'zod';
import { ErrorCode } from './job.js';

const Stage = z.enum(['references', 'prompts', 'generating', 'storing']);
const Index = z.number().int().min(0);
const TerminalStatus = z.enum(['succeeded', 'failed', 'canceled']);

/** What a job's end did to its credits: held credits charged for stored images, the rest refunded. */
export const CreditSettlement = z.object({ charged: z.number().int().min(0), refunded: z.number().int().min(0) });
export type CreditSettlement = z.infer<typeof CreditSettlement>;

export const JobEventData = {
  /** Accepted (darkroom_accept_job). */
  created: z.object({ numImages: z.number().int(), priority: z.string(), batchId: z.string().optional() }),
  /** A worker claimed it (darkroom_claim_job); `resumed` after a crash or a takeover. */
  started: z.object({ attempt: z.number().int(), resumed: z.boolean(), workerId: z.string() }),
  /** The run entered a stage. */
  stage: z.object({ stage: Stage }),
  /** Something the owner should know that did not stop the job. */
  warning: z.object({ stage: Stage, message: z.string() }),
  /** Where a queued vendor has one image's request. */
  provider_status: z.object({
    index: Index,
    provider: z.string(),
    state: z.enum(['queued', 'running']),
    queuePosition: z.number().int().optional(),
  }),
  /** An image moved to the next provider because its own was down. */
  provider_fallback: z.object({ index: Index, from: z.string(), to: z.string(), reason: ErrorCode }),
  /** An image's attempt failed in a way that may pass; the next one starts after `delayMs`. */
  retry_scheduled: z.object({ index: Index, attempt: z.number().int(), delayMs: z.number(), reason: ErrorCode }),
  /** An image's attempt failed and storing its bytes is tried again (the vendor is not called again). */
  store_retry: z.object({ index: Index, attempt: z.number().int(), delayMs: z.number() }),
  image_succeeded: z.object({ index: Index }),
  image_failed: z.object({ index: Index, code: ErrorCode, message: z.string() }),
  /** Someone asked a running job to stop; the worker ends it. */
  cancel_requested: z.null(),
  /** The worker shut down and handed the job back to the queue, stored images kept. */
  released: z.object({ workerId: z.string(), reason: z.string() }),
  /** Retried after it ended: the images it lacks are queued again. */
  retried: z.object({ images: z.array(Index), previousStatus: TerminalStatus }),
  /** A low-priority job waited long enough to move up a band. */
  promoted: z.object({ from: z.string(), to: z.string(), waitedSeconds: z.number() }),
  /**
   * The end (written only by packages/db's lifecycle `endJob`): its status, what its images became,
   * what its credits became; `code` when it failed, `reason` when it ended without running to the end.
   */
  finished: z.object({
    status: TerminalStatus,
    succeeded: z.number().int().min(0),
    failed: z.number().int().min(0),
    credits: CreditSettlement,
    code: ErrorCode.optional(),
    reason: z.string().optional(),
  }),
} as const;

export type JobEventType = keyof typeof JobEventData;
export const JOB_EVENT_TYPES = Object.keys(JobEventData) as JobEventType[];
export const JobEventType = z.enum(JOB_EVENT_TYPES as [JobEventType, ...JobEventType[]]);

/** One event as a discriminated union: `type` tells the shape of `data`. */
export type JobEvent = { [T in JobEventType]: { type: T; data: z.infer<(typeof JobEventData)[T]> } }[JobEventType];
export type JobEventDataOf<T extends JobEventType> = z.infer<(typeof JobEventData)[T]>;
export type FinishedEventData = JobEventDataOf<'finished'>;

/** The data an event of `type` carries, checked: a writer calls this so a wrong shape fails where it is made. */
export function jobEvent<T extends JobEventType>(
  type: T,
  data: JobEventDataOf<T>,
): { type: T; data: JobEventDataOf<T> } {
  return { type, data: JobEventData[type].parse(data) as JobEventDataOf<T> };
}

/**
 * A stored event read back: typed when its type is known and its data fits, `data: null` otherwise
 * (an event written by another version of Darkroom), so reading a timeline never fails on one row.
 */
export function readJobEvent(type: string, data: unknown): JobEvent | { type: string; data: null } {
  if (!(type in JobEventData)) return { type, data: null };
  const parsed = JobEventData[type as JobEventType].safeParse(data ?? null);
  return parsed.success ? ({ type, data: parsed.data } as JobEvent) : { type, data: null };
}
