import {
  WebhookDeliveryView,
  BatchRef,
  BatchRequest,
  BatchView,
  EditRegionRequest,
  UpscaleRequest,
  VaryRequest,
  JobEventView,
  JobEventsFollowInput,
  JobFeedInput,
  JobFollowInput,
  JobListInput,
  JobListView,
  JobRef,
  JobRequest,
  JobView,
  QuoteView,
} from '@darkroom/core';
import type { AuthUser, Context } from '../context.js';
import { protectedProcedure, router } from '../trpc.js';
import { listWebhookDeliveries } from '../webhooks/service.js';
import { followJob, followMyJobs, untilClosing } from './live.js';
import { getBatch } from './batch.js';
import { editImageRegion, upscaleImage, varyImage } from './derived.js';
import { listJobEvents } from './events.js';
import { followJobEvents } from './event-stream.js';
import { quoteJob } from './quote.js';
import { getJob, listJobs } from './read.js';
import { cancelJob, createBatch, createJob, retryJob } from './traced.js';

export const jobsRouter = router({
  /** Accepts a job at once; a worker generates its images later. */
  create: protectedProcedure
    .input(JobRequest)
    .output(JobView)
    .mutation(async ({ ctx: { db, log, user, settings, limits }, input }) => {
      const job = await createJob({ db, user, settings, limits, input });
      log.info({ jobId: job.id, preset: job.preset, numImages: job.numImages, provider: job.provider }, 'job accepted');
      return job;
    }),
  /**
   * What a job would cost and when it would run, without submitting it (nothing is written or held). A
   * mutation only so the request (a prompt of up to 4,000 characters) travels in a POST body, not a URL.
   */
  quote: protectedProcedure
    .input(JobRequest)
    .output(QuoteView)
    .mutation(({ ctx: { db, user, settings }, input }) => quoteJob({ db, user, settings, input })),
  /** Variations of one of the caller's result images (image-to-image; the image is the job's parent). */
  vary: protectedProcedure
    .input(VaryRequest)
    .output(JobView)
    .mutation(({ ctx: { db, user, settings, limits }, input }) => varyImage({ db, user, settings, limits, input })),
  /** One of the caller's result images resampled 2x or 4x. */
  upscale: protectedProcedure
    .input(UpscaleRequest)
    .output(JobView)
    .mutation(({ ctx: { db, user, settings, limits }, input }) => upscaleImage({ db, user, settings, limits, input })),
  /** One of the caller's result images regenerated where a mask asset is white. */
  editRegion: protectedProcedure
    .input(EditRegionRequest)
    .output(JobView)
    .mutation(({ ctx: { db, user, settings, limits }, input }) =>
      editImageRegion({ db, user, settings, limits, input }),
    ),
  /** Up to 100 jobs at once, validated all-or-nothing, sharing a batch id. */
  createBatch: protectedProcedure
    .input(BatchRequest)
    .output(BatchView)
    .mutation(({ ctx: { db, user, settings, limits }, input }) => createBatch({ db, user, settings, limits, input })),
  batch: protectedProcedure
    .input(BatchRef)
    .output(BatchView)
    .query(({ ctx: { db, user }, input }) => getBatch({ db, user, batchId: input.batchId })),
  /** Runs a finished job again for the images it lacks. */
  retry: protectedProcedure
    .input(JobRef)
    .output(JobView)
    .mutation(({ ctx: { db, user, settings, limits }, input }) =>
      retryJob({ db, user, settings, limits, id: input.id }),
    ),
  /** The caller's job (an admin's: any job). */
  get: protectedProcedure
    .input(JobRef)
    .output(JobView)
    .query(({ ctx: { db, user }, input }) => getJob({ db, user, id: input.id })),
  list: protectedProcedure
    .input(JobListInput)
    .output(JobListView)
    .query(({ ctx: { db, user }, input }) => listJobs({ db, user, input })),
  /** The job's timeline: queued, started, stages, images, retries, cancel, finished. */
  events: protectedProcedure
    .input(JobRef)
    .output(JobEventView.array())
    .query(({ ctx: { db, user }, input }) => listJobEvents({ db, user, id: input.id })),
  /** Every attempt at delivering the job's webhooks: status code, error, whether another follows. */
  webhookDeliveries: protectedProcedure
    .input(JobRef)
    .output(WebhookDeliveryView.array())
    .query(({ ctx: { db, user }, input }) => listWebhookDeliveries({ db, user, id: input.id })),
  /** One job live (SSE): its view now, then on every change, until it ends. Resumes from `lastEventId`. */
  onUpdate: protectedProcedure
    .input(JobFollowInput)
    .subscription(({ ctx, input, signal }) =>
      followJob({ ...streamScope(ctx, signal), id: input.id, lastEventId: input.lastEventId }),
    ),
  /** One job's timeline live (SSE): every event after `lastEventId`, until its `finished` event. */
  onEvent: protectedProcedure
    .input(JobEventsFollowInput)
    .subscription(({ ctx, input, signal }) =>
      followJobEvents({ ...streamScope(ctx, signal), id: input.id, lastEventId: input.lastEventId }),
    ),
  /** All of the caller's jobs live (SSE): a view whenever one of them changes. */
  feed: protectedProcedure
    .input(JobFeedInput)
    .subscription(({ ctx, input, signal }) =>
      followMyJobs({ ...streamScope(ctx, signal), lastEventId: input?.lastEventId }),
    ),
  /** Cancels the caller's job (an admin: any job); a queued one gets its credits back at once. */
  cancel: protectedProcedure
    .input(JobRef)
    .output(JobView)
    .mutation(async ({ ctx: { db, log, user }, input }) => {
      const job = await cancelJob({ db, user, id: input.id });
      log.info({ jobId: job.id, status: job.status }, 'job cancel requested');
      return job;
    }),
});

/**
 * What every live stream gets from its request: a stream slot, an end when the server closes, and a
 * look at its credentials every `streamRecheckMs`, so a revoked key or a logged-out session stops
 * receiving the account's jobs however long the stream lasts (a scheduled job can wait 30 days).
 */
function streamScope(
  { db, jobChanges, closing, streams, stillAuthenticated, settings, user }: Context & { user: AuthUser },
  signal: AbortSignal | undefined,
) {
  return {
    db,
    jobChanges,
    slots: streams,
    user,
    signal: untilClosing(signal, closing),
    recheck: { stillAuthenticated, everyMs: settings.streamRecheckMs },
  };
}
