import { QueueHistoryPoint, QueueStatus, RecentFailure, WorkerView } from '@darkroom/core';
import { adminProcedure, protectedProcedure, router } from '../trpc.js';
import { getQueueHistory, getQueueStatus, listRecentFailures, listWorkers } from './service.js';

export const queueRouter = router({
  /** Queue length, running jobs, average wait, queued by priority, workers alive, system status. */
  status: protectedProcedure.output(QueueStatus).query(({ ctx: { db, settings } }) => getQueueStatus({ db, settings })),
  /** Admins: every worker process, alive or silent, with the jobs it runs. */
  workers: adminProcedure
    .output(WorkerView.array())
    .query(({ ctx: { db, settings } }) => listWorkers({ db, settings })),
  /** Admins: the last hour minute by minute: queued by priority, jobs succeeded and failed. */
  history: adminProcedure.output(QueueHistoryPoint.array()).query(({ ctx: { db } }) => getQueueHistory({ db })),
  /** Admins: the latest failed jobs with their error codes. */
  recentFailures: adminProcedure.output(RecentFailure.array()).query(({ ctx: { db } }) => listRecentFailures({ db })),
});
