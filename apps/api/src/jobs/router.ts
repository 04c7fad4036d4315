import { BatchRef, BatchRequest, BatchView, JobEventView, JobListInput, JobListView, JobRef, JobRequest, JobView } from '@darkroom/core';
import { protectedProcedure, router } from '../trpc.js';
import { cancelJob, createBatch, createJob, getBatch, getJob, listJobEvents, listJobs, retryJob } from './service.js';

export const jobsRouter = router({
  /** Accepts a job at once; a worker generates its images later. */
  create: protectedProcedure
    .input(JobRequest)
    .output(JobView)
    .mutation(({ ctx: { db, user, settings, limits }, input }) => createJob({ db, user, settings, limits, input })),
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
    .mutation(({ ctx: { db, user, settings, limits }, input }) => retryJob({ db, user, settings, limits, id: input.id })),
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
  /** Cancels the caller's job (an admin: any job); a queued one gets its credits back at once. */
  cancel: protectedProcedure
    .input(JobRef)
    .output(JobView)
    .mutation(({ ctx: { db, user }, input }) => cancelJob({ db, user, id: input.id })),
});
