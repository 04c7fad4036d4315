/**
 * A job's timeline: every event type and the shape of its data, in one place.
 *
 * The writers (packages/db's lifecycle, the worker's pipeline through `jobEvent()`, and the plpgsql
 * functions darkroom_accept_job and darkroom_claim_job) write these shapes; `JobEventView` is what
 * `jobs.events` answers, a union on `type`; the web app's timeline renders it. Each data shape is strict:
 * a writer that adds a field fails where it writes (apps/api/src/jobs/events.every-writer.test.ts holds
 * the plpgsql writers to it too). A row written by another version of Darkroom that no longer fits reads
 * back as `{ type: 'unrecognized', recordedType }` rather than failing the read.
 */
import { z } from 'zod';
import { ErrorCode, Priority, Stage } from './job-request.js';

const Index = z.number().int().min(0);
const TerminalStatus = z.enum(['succeeded', 'failed', 'canceled']);

/** What a job's end did to its credits: held credits charged for stored images, the rest refunded. */
export const CreditSettlement = z.strictObject({
  charged: z.number().int().min(0),
  refunded: z.number().int().min(0),
});
export type CreditSettlement = z.infer<typeof CreditSettlement>;

export const JobEventData = {
  /** Accepted (darkroom_accept_job). */
  created: z.strictObject({
    numImages: z.number().int(),
    priority: Priority,
    batchId: z.string().optional(),
    /** When the request asked to start no earlier than a time (ISO 8601). */
    notBefore: z.string().optional(),
  }),
  /** The job's progress moved (0..100); at most one a second per job, written by the jobs row's trigger. */
  progress: z.strictObject({ progress: z.number().int().min(0).max(100) }),
  /**
   * A queued job's place moved: jobs ahead of it and the expected wait (seconds; null when unknown), and
   * the predicted start (ISO 8601). At most one a second per job, only on a change.
   */
  position: z.strictObject({
    position: z.number().int().min(0),
    estimatedWaitSeconds: z.number().nullable(),
    predictedStartAt: z.string().nullable(),
  }),
  /** A worker claimed it (darkroom_claim_job); `resumed` after a crash or a takeover. */
  started: z.strictObject({ attempt: z.number().int(), resumed: z.boolean(), workerId: z.string() }),
  /** The run entered a stage. */
  stage: z.strictObject({ stage: Stage }),
  /** Something the owner should know that did not stop the job. */
  warning: z.strictObject({ stage: Stage, message: z.string() }),
  /** Where a queued vendor has one image's request. */
  provider_status: z.strictObject({
    index: Index,
    provider: z.string(),
    state: z.enum(['queued', 'running']),
    queuePosition: z.number().int().optional(),
  }),
  /** An image moved to the next provider because its own was down. */
  provider_fallback: z.strictObject({ index: Index, from: z.string(), to: z.string(), reason: ErrorCode }),
  /** An image's attempt failed in a way that may pass; the next one starts after `delayMs`. */
  retry_scheduled: z.strictObject({ index: Index, attempt: z.number().int(), delayMs: z.number(), reason: ErrorCode }),
  /** An image's attempt failed and storing its bytes is tried again (the vendor is not called again). */
  store_retry: z.strictObject({ index: Index, attempt: z.number().int(), delayMs: z.number() }),
  image_succeeded: z.strictObject({ index: Index }),
  image_failed: z.strictObject({ index: Index, code: ErrorCode, message: z.string() }),
  /** Someone asked a running job to stop; the worker ends it. */
  cancel_requested: z.null(),
  /** The worker shut down and handed the job back to the queue, stored images kept. */
  released: z.strictObject({ workerId: z.string(), reason: z.string() }),
  /** Retried after it ended: the images it lacks are queued again. */
  retried: z.strictObject({ images: z.array(Index), previousStatus: TerminalStatus }),
  /** A low-priority job waited long enough to move up a band. */
  promoted: z.strictObject({ from: Priority, to: Priority, waitedSeconds: z.number() }),
  /**
   * The end (written only by packages/db's lifecycle `endJob`): its status, what its images became,
   * what its credits became; `code` when it failed, `reason` when it ended without running to the end.
   */
  finished: z.strictObject({
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

/** One event as written: `type` tells the shape of `data`. */
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

/** A stored event this version cannot read (another version of Darkroom wrote it): its type, no data. */
export const UnrecognizedJobEvent = z.strictObject({
  type: z.literal('unrecognized'),
  recordedType: z.string(),
  data: z.null(),
});
export type UnrecognizedJobEvent = z.infer<typeof UnrecognizedJobEvent>;

/**
 * A stored event read back: typed when its type is known and its data fits (fields this version does
 * not know are dropped), `unrecognized` otherwise, so reading a timeline never fails on one row.
 */
export function readJobEvent(type: string, data: unknown): JobEvent | UnrecognizedJobEvent {
  if (!Object.hasOwn(JobEventData, type)) return { type: 'unrecognized', recordedType: type, data: null };
  const schema: z.ZodType = JobEventData[type as JobEventType];
  const parsed = (schema instanceof z.ZodObject ? schema.strip() : schema).safeParse(data ?? null);
  return parsed.success
    ? ({ type, data: parsed.data } as JobEvent)
    : { type: 'unrecognized', recordedType: type, data: null };
}

function viewOf<T extends JobEventType>(type: T) {
  return z.strictObject({ id: z.string(), type: z.literal(type), data: JobEventData[type], createdAt: z.string() });
}

/**
 * One entry of a job's timeline (`jobs.events`), oldest first: `{ id, type, data, createdAt }` with
 * `data` typed by `type`. Strict: apps/api's every-writer test parses every stored row with it.
 */
export const JobEventView = z.discriminatedUnion('type', [
  viewOf('created'),
  viewOf('progress'),
  viewOf('position'),
  viewOf('started'),
  viewOf('stage'),
  viewOf('warning'),
  viewOf('provider_status'),
  viewOf('provider_fallback'),
  viewOf('retry_scheduled'),
  viewOf('store_retry'),
  viewOf('image_succeeded'),
  viewOf('image_failed'),
  viewOf('cancel_requested'),
  viewOf('released'),
  viewOf('retried'),
  viewOf('promoted'),
  viewOf('finished'),
  UnrecognizedJobEvent.extend({ id: z.string(), createdAt: z.string() }),
]);
export type JobEventView = z.infer<typeof JobEventView>;

/** A stored `job_events` row as its owner reads it. */
export function toJobEventView(row: {
  id: bigint | number | string;
  type: string;
  data: unknown;
  createdAt: Date;
}): JobEventView {
  return { id: row.id.toString(), ...readJobEvent(row.type, row.data), createdAt: row.createdAt.toISOString() };
}

/** Following one job's timeline live (`jobs.onEvent`): resume after the timeline id a client has. */
export const JobEventsFollowInput = z.object({
  id: z.string().uuid(),
  lastEventId: z
    .string()
    .regex(/^\d{1,18}$/, 'lastEventId must be a timeline event id')
    .nullish(),
});
