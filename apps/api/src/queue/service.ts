/**
 * The queue at a glance: what waits, what runs, how long waiting takes, who is alive, and how healthy
 * that is. Every number comes from our own tables (never graphile-worker's), each from an index.
 */
import {
  MIN_JOBS_FOR_FAILURE_RATE as MIN_ENDED,
  systemStatusOf,
  type Priority,
  type QueueHistoryPoint,
  type QueueStatus,
  type RecentFailure,
  type WorkerView,
} from '@darkroom/core';
import type { Db } from '@darkroom/db';

export interface QueueSettings {
  /** A queue longer than this makes the status a warning. */
  warnQueueLength: number;
  /** A worker whose heartbeat is older than this is not counted alive, in seconds. */
  workerDeadAfterSeconds: number;
  /** How long one status answer is reused by this process, in ms; 0 reads afresh every time. */
  queueStatusMaxAgeMs: number;
}

const RECENT = "interval '15 minutes'";

const recentStatus = new WeakMap<Db, { at: number; status: Promise<QueueStatus> }>();

/**
 * The queue's status, reused for `queueStatusMaxAgeMs` by this process. Counting the queue costs time in
 * proportion to its length (tens of ms at 100,000 queued), and every open web app polls this, so
 * callers within the window share one count (and one in flight) instead of each paying for it.
 */
export function getQueueStatus({ db, settings }: { db: Db; settings: QueueSettings }): Promise<QueueStatus> {
  const recent = recentStatus.get(db);
  if (recent && Date.now() - recent.at < settings.queueStatusMaxAgeMs) return recent.status;
  const status = readQueueStatus({ db, settings });
  if (settings.queueStatusMaxAgeMs > 0) {
    recentStatus.set(db, { at: Date.now(), status });
    // A failed read is not reused.
    status.catch(() => recentStatus.delete(db));
  }
  return status;
}

async function readQueueStatus({ db, settings }: { db: Db; settings: QueueSettings }): Promise<QueueStatus> {
  const [queued, running, waits, outcomes, workers] = await Promise.all([
    db.$queryRaw<
      { priority: Priority; n: bigint }[]
    >`select priority, count(*) as n from jobs where status = 'queued' group by priority`,
    db.$queryRaw<{ n: bigint }[]>`select count(*) as n from jobs where status = 'running'`,
    db.$queryRawUnsafe<{ seconds: number | null }[]>(
      `select avg(extract(epoch from started_at - created_at))::float8 as seconds from jobs where started_at > now() - ${RECENT}`,
    ),
    db.$queryRawUnsafe<{ failed: bigint; ended: bigint }[]>(
      `select count(*) filter (where status = 'failed') as failed, count(*) as ended
       from jobs where status in ('succeeded', 'failed') and finished_at > now() - ${RECENT}`,
    ),
    db.$queryRaw<{ n: bigint }[]>`
      select count(*) as n from worker_heartbeats
      where last_seen_at > now() - make_interval(secs => ${settings.workerDeadAfterSeconds}::int)`,
  ]);
  const queuedByPriority: Record<Priority, number> = { urgent: 0, high: 0, normal: 0, low: 0 };
  for (const row of queued) queuedByPriority[row.priority] = Number(row.n);
  const queueLength = Object.values(queuedByPriority).reduce((sum, n) => sum + n, 0);
  const ended = Number(outcomes[0]?.ended ?? 0);
  const failureRate = ended >= MIN_ENDED ? Number(outcomes[0]?.failed ?? 0) / ended : null;
  const workersAlive = Number(workers[0]?.n ?? 0);
  const { status, reasons } = systemStatusOf({
    queueLength,
    workersAlive,
    failureRate,
    warnQueueLength: settings.warnQueueLength,
  });
  const wait = waits[0]?.seconds;
  return {
    queueLength,
    running: Number(running[0]?.n ?? 0),
    averageWaitSeconds: wait === null || wait === undefined ? null : Math.round(wait * 10) / 10,
    queuedByPriority,
    workersAlive,
    finishedLast15m: ended,
    failureRateLast15m: failureRate,
    systemStatus: status,
    reasons,
  };
}

/** Every worker with a heartbeat row (dead ones stay until recovery clears them), with what it runs. */
export async function listWorkers({ db, settings }: { db: Db; settings: QueueSettings }): Promise<WorkerView[]> {
  const [workers, running] = await Promise.all([
    db.workerHeartbeat.findMany({ orderBy: { startedAt: 'asc' } }),
    // Who runs each running job: the worker named by its latest start.
    db.$queryRaw<{ worker: string; n: bigint }[]>`
      select started.worker, count(*) as n from jobs j
      cross join lateral (
        select data->>'workerId' as worker from job_events e
        where e.job_id = j.id and e.type = 'started' order by e.id desc limit 1
      ) started
      where j.status = 'running' group by started.worker`,
  ]);
  const aliveSince = Date.now() - settings.workerDeadAfterSeconds * 1000;
  return workers.map((worker) => ({
    workerId: worker.workerId,
    host: worker.host,
    pid: worker.pid,
    concurrency: worker.concurrency,
    // Job events name a worker by its session name (never host:pid, which users must not see); older
    // events by its id.
    running: running
      .filter((row) => row.worker === worker.sessionName || row.worker === worker.workerId)
      .reduce((sum, row) => sum + Number(row.n), 0),
    startedAt: worker.startedAt.toISOString(),
    lastSeenAt: worker.lastSeenAt.toISOString(),
    alive: worker.lastSeenAt.getTime() > aliveSince,
  }));
}

/** Minutes of history `queue.history` answers. */
export const HISTORY_MINUTES = 60;

/**
 * The last hour, minute by minute: how many jobs waited at the end of each minute (by priority), and
 * how many ended succeeded or failed during it. Rebuilt from the jobs' own timestamps, so it needs no
 * sampler: a job waited from `created_at` until it started or ended, whichever came first.
 */
export async function getQueueHistory({ db }: { db: Db }): Promise<QueueHistoryPoint[]> {
  const rows = await db.$queryRaw<
    { at: Date; urgent: bigint; high: bigint; normal: bigint; low: bigint; succeeded: bigint; failed: bigint }[]
  >`
    with minutes as (
      select generate_series(date_trunc('minute', now()) - make_interval(mins => ${HISTORY_MINUTES - 1}::int), date_trunc('minute', now()), interval '1 minute') + interval '1 minute' as at
    ),
    waiting as (
      select priority, created_at, coalesce(started_at, finished_at, 'infinity'::timestamptz) as left_at from jobs
      where coalesce(started_at, finished_at, 'infinity'::timestamptz) > now() - make_interval(mins => ${HISTORY_MINUTES}::int)
    ),
    ended as (
      select date_trunc('minute', finished_at) + interval '1 minute' as at,
        count(*) filter (where status = 'succeeded') as succeeded, count(*) filter (where status = 'failed') as failed
      from jobs where status in ('succeeded', 'failed') and finished_at > now() - make_interval(mins => ${HISTORY_MINUTES}::int)
      group by 1
    )
    select m.at,
      count(w.*) filter (where w.priority = 'urgent') as urgent,
      count(w.*) filter (where w.priority = 'high') as high,
      count(w.*) filter (where w.priority = 'normal') as normal,
      count(w.*) filter (where w.priority = 'low') as low,
      coalesce(max(e.succeeded), 0) as succeeded, coalesce(max(e.failed), 0) as failed
    from minutes m
    left join waiting w on w.created_at <= least(m.at, now()) and w.left_at > least(m.at, now())
    left join ended e on e.at = m.at
    group by m.at order by m.at`;
  return rows.map((row) => ({
    at: row.at.toISOString(),
    queued: { urgent: Number(row.urgent), high: Number(row.high), normal: Number(row.normal), low: Number(row.low) },
    succeeded: Number(row.succeeded),
    failed: Number(row.failed),
  }));
}

/** The latest failed jobs, newest first, with their error codes. */
export async function listRecentFailures({ db, limit = 20 }: { db: Db; limit?: number }): Promise<RecentFailure[]> {
  const jobs = await db.job.findMany({
    where: { status: 'failed' },
    orderBy: { finishedAt: 'desc' },
    take: limit,
    select: {
      id: true,
      provider: true,
      preset: true,
      errorCode: true,
      errorMessage: true,
      finishedAt: true,
      user: { select: { email: true } },
    },
  });
  return jobs.map((job) => ({
    jobId: job.id,
    owner: job.user.email,
    provider: job.provider,
    preset: job.preset,
    code: job.errorCode ?? 'internal',
    message: job.errorMessage ?? '',
    finishedAt: (job.finishedAt ?? new Date(0)).toISOString(),
  }));
}
