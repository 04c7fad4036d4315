/**
 * The queue at a glance (`queue.status`, `GET /api/v1/queue`, the admin view) and the rule that turns
 * it into one word an operator can alert on.
 */
import { z } from 'zod';

export const SYSTEM_STATUSES = ['healthy', 'warning', 'critical'] as const;
export const SystemStatus = z.enum(SYSTEM_STATUSES);
export type SystemStatus = z.infer<typeof SystemStatus>;

export const QueueStatus = z.object({
  /** Jobs waiting for a worker. */
  queueLength: z.number().int(),
  /** Jobs a worker is running now. */
  running: z.number().int(),
  /** Mean seconds from submit to start, over jobs started in the last 15 minutes; null when none. */
  averageWaitSeconds: z.number().nullable(),
  queuedByPriority: z.object({
    urgent: z.number().int(),
    high: z.number().int(),
    normal: z.number().int(),
    low: z.number().int(),
  }),
  /** Worker processes whose heartbeat is recent. */
  workersAlive: z.number().int(),
  /** Jobs that ended succeeded or failed in the last 15 minutes (canceled ones are not failures). */
  finishedLast15m: z.number().int(),
  /** Share of those that failed, 0..1; null when too few ended to judge. */
  failureRateLast15m: z.number().nullable(),
  systemStatus: SystemStatus,
  /** Why the status is not healthy, in words. */
  reasons: z.array(z.string()),
});
export type QueueStatus = z.infer<typeof QueueStatus>;

/** Fewer finished jobs than this say nothing about a failure rate (one failure of one is not 100 %). */
export const MIN_JOBS_FOR_FAILURE_RATE = 5;

export interface SystemStatusInput {
  queueLength: number;
  workersAlive: number;
  failureRate: number | null;
  /** A queue longer than this is a warning. */
  warnQueueLength: number;
}

/**
 * critical: over half the recent jobs failed, or jobs wait and no worker is alive;
 * warning: over a fifth failed, or the queue is longer than `warnQueueLength`; healthy otherwise.
 */
export function systemStatusOf({ queueLength, workersAlive, failureRate, warnQueueLength }: SystemStatusInput): {
  status: SystemStatus;
  reasons: string[];
} {
  const critical: string[] = [];
  const warning: string[] = [];
  const percent = (rate: number) => `${Math.round(rate * 100)} %`;
  if (failureRate !== null && failureRate > 0.5)
    critical.push(`${percent(failureRate)} of the jobs that ended in the last 15 minutes failed`);
  else if (failureRate !== null && failureRate > 0.2)
    warning.push(`${percent(failureRate)} of the jobs that ended in the last 15 minutes failed`);
  if (queueLength > 0 && workersAlive === 0) critical.push(`${queueLength} jobs wait and no worker is alive`);
  if (queueLength > warnQueueLength) warning.push(`${queueLength} jobs are queued (more than ${warnQueueLength})`);
  if (critical.length > 0) return { status: 'critical', reasons: [...critical, ...warning] };
  if (warning.length > 0) return { status: 'warning', reasons: warning };
  return { status: 'healthy', reasons: [] };
}

/** A worker process as its heartbeats describe it (`queue.workers`, admins). */
export const WorkerView = z.object({
  workerId: z.string(),
  host: z.string(),
  pid: z.number().int(),
  /** Jobs it runs at once. */
  concurrency: z.number().int(),
  /** Jobs it is running now. */
  running: z.number().int(),
  startedAt: z.string(),
  lastSeenAt: z.string(),
  /** Heard from within the dead-after window. */
  alive: z.boolean(),
});
export type WorkerView = z.infer<typeof WorkerView>;

/** One minute of the queue's recent past (`queue.history`, admins). */
export const QueueHistoryPoint = z.object({
  /** The minute's end (ISO). */
  at: z.string(),
  /** Jobs waiting at that moment, by priority. */
  queued: z.object({
    urgent: z.number().int(),
    high: z.number().int(),
    normal: z.number().int(),
    low: z.number().int(),
  }),
  /** Jobs that ended in that minute. */
  succeeded: z.number().int(),
  failed: z.number().int(),
});
export type QueueHistoryPoint = z.infer<typeof QueueHistoryPoint>;

/** A job that failed recently, as an operator needs to see it (`queue.recentFailures`, admins). */
export const RecentFailure = z.object({
  jobId: z.string(),
  owner: z.string(),
  provider: z.string(),
  preset: z.string(),
  code: z.string(),
  message: z.string(),
  finishedAt: z.string(),
});
export type RecentFailure = z.infer<typeof RecentFailure>;
