import { QueueStatus, WorkerView } from '@darkroom/core';
import { adminProcedure, protectedProcedure, router } from '../trpc.js';
import { getQueueStatus, listWorkers } from './service.js';

export const queueRouter = router({
  /** Queue length, running jobs, average wait, queued by priority, workers alive, system status. */
  status: protectedProcedure.output(QueueStatus).query(({ ctx: { db, settings } }) => getQueueStatus({ db, settings })),
  /** Admins: every worker process, alive or silent, with the jobs it runs. */
  workers: adminProcedure.output(WorkerView.array()).query(({ ctx: { db, settings } }) => listWorkers({ db, settings })),
});
