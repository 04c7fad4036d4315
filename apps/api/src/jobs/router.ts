import { JobEventView, JobListInput, JobListView, JobRef, JobRequest, JobView } from '@darkroom/core';
import { protectedProcedure, router } from '../trpc.js';
import { cancelJob, createJob, getJob, listJobEvents, listJobs } from './service.js';

export const jobsRouter = router({
  /** Accepts a job at once; a worker generates its images later. */
  create: protectedProcedure
    .input(JobRequest)
    .output(JobView)
    .mutation(({ ctx: { db, user }, input }) => createJob({ db, user, input })),
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
  cancel: protectedProcedure
    .input(JobRef)
    .output(JobView)
    .mutation(({ ctx: { db, user }, input }) => cancelJob({ db, user, id: input.id })),
});
