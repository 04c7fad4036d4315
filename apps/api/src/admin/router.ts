import { EngineInstancesView, JobInstancesView, JobRef } from '@darkroom/core';
import { adminProcedure, router } from '../trpc.js';
import { listEngineInstances } from './engines.js';
import { listJobInstances } from './job-instances.js';

export const adminRouter = router({
  /** Admins: every self-hosted engine instance each live worker sees: health, images in flight, their jobs. */
  engines: adminProcedure.output(EngineInstancesView).query(({ ctx: { db } }) => listEngineInstances({ db })),
  /** Admins: the engine instance each running image of a job is on (none for a job not on an engine). */
  jobInstances: adminProcedure
    .input(JobRef)
    .output(JobInstancesView)
    .query(({ ctx: { db }, input }) => listJobInstances({ db, jobId: input.id })),
});
