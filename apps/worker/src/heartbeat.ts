/**
 * Liveness and crash recovery. Every worker process writes a heartbeat row every few seconds; every
 * worker also checks, every few seconds, for processes silent longer than `deadAfterSeconds` and
 * releases what they held:
 * - their Postgres sessions, terminated: a silent process may be paused in the middle of a transaction
 *   (a stopped VM, a blocked event loop), and its row and advisory locks would otherwise stay taken for
 *   as long as it sleeps. Every session a worker opens carries its `sessionName` as application_name;
 * - graphile-worker's locks on their jobs (`force_unlock_workers`, otherwise a dead worker's jobs stay
 *   locked for four hours);
 * - their provider slots.
 * Another worker then resumes those jobs, skipping images already stored.
 *
 * graphile-worker's cron ticks once a minute, too coarse to resume a job within a minute of a kill -9,
 * so recovery runs on an interval in every worker. Sweeps need no lock between them: each claims the
 * rows it buries (`for update skip locked`), and a sweep that meets a lock gives up after
 * `lock_timeout` and leaves the work to the next one, so nothing a silent process holds can stall it.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Db, Tx } from '@darkroom/db';
import type { Logger } from 'pino';

/** How long a recovery sweep waits for any one lock before leaving the work to the next sweep. */
const SWEEP_LOCK_TIMEOUT = '2s';

/**
 * A name for one worker process's Postgres sessions (application_name, at most 63 bytes), unique to
 * this process: a restart under the same WORKER_ID gets a new one, so releasing the previous process
 * never touches the new one's sessions.
 */
export function newSessionName(): string {
  return `darkroom-worker ${randomUUID()}`;
}

/** `url` with every session it opens named `sessionName` (application_name). */
export function withSessionName(url: string, sessionName: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', sessionName);
  return parsed.toString();
}

export interface HeartbeatOptions {
  db: Db;
  workerId: string;
  /** The application_name of every session this process opens (`newSessionName`). */
  sessionName: string;
  concurrency: number;
  /** graphile-worker's ids for this process's workers (filled as graphile creates them). */
  graphileWorkerIds: () => string[];
  log: Logger;
  /** How often to beat, in ms. Default 5000. */
  intervalMs?: number;
  /** A worker silent this long is dead. Default 30. */
  deadAfterSeconds?: number;
  /** How often to look for dead workers, in ms. Default 5000. */
  recoveryIntervalMs?: number;
  /**
   * Called once if another worker declared this one dead (its row is gone: it was silent longer than
   * `deadAfterSeconds`, e.g. a blocked event loop, a paused VM or a network partition). Its jobs were
   * released and may be running elsewhere now, so it must stop touching them: exit and be restarted.
   */
  onDeclaredDead?: () => void;
}

export interface Heartbeat {
  /** Stops beating and removes this worker's row (a clean exit is not a death). */
  stop(): Promise<void>;
}

export async function startHeartbeat(options: HeartbeatOptions): Promise<Heartbeat> {
  const { db, workerId, log, intervalMs = 5000, deadAfterSeconds = 30, recoveryIntervalMs = 5000 } = options;
  const data = () => ({
    host: os.hostname(),
    pid: process.pid,
    concurrency: options.concurrency,
    sessionName: options.sessionName,
    graphileWorkerIds: options.graphileWorkerIds(),
    lastSeenAt: new Date(),
  });
  await releasePreviousIncarnation(db, workerId, log);
  await db.workerHeartbeat.upsert({ where: { workerId }, create: { workerId, ...data() }, update: data() });
  let declaredDead = false;
  // Only ever an update from here: a row that is gone was removed by another worker's recovery sweep.
  const beat = async () => {
    if (declaredDead) return;
    const { count } = await db.workerHeartbeat.updateMany({ where: { workerId }, data: data() });
    if (count > 0 || declaredDead) return;
    declaredDead = true;
    clearInterval(beating);
    log.fatal('another worker declared this one dead (silent too long) and released its jobs; stopping');
    options.onDeclaredDead?.();
  };
  const beating = setInterval(
    () => void beat().catch((error) => log.warn({ err: error }, 'heartbeat failed')),
    intervalMs,
  );
  const recovering = setInterval(
    () =>
      void recoverDeadWorkers(db, deadAfterSeconds, log).catch((error) =>
        log.warn({ err: error }, 'recovery sweep failed'),
      ),
    recoveryIntervalMs,
  );
  beating.unref();
  recovering.unref();
  return {
    async stop() {
      clearInterval(beating);
      clearInterval(recovering);
      await db.workerHeartbeat.deleteMany({ where: { workerId } }).catch(() => {});
    },
  };
}

/**
 * Releases everything held by workers silent for `deadAfterSeconds`, and forgets them. Returns the ids
 * of the workers it found dead. Safe to run from several processes at once: each dead row is claimed by
 * one sweep, and a row a worker is beating on right now is skipped.
 */
export async function recoverDeadWorkers(db: Db, deadAfterSeconds: number, log?: Logger): Promise<string[]> {
  return db.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(`set local lock_timeout = '${SWEEP_LOCK_TIMEOUT}'`);
    const dead = await tx.$queryRaw<
      { worker_id: string; graphile_worker_ids: string[] | null; session_name: string | null }[]
    >`
      delete from worker_heartbeats
      where worker_id in (
        select worker_id from worker_heartbeats
        where last_seen_at < now() - make_interval(secs => ${deadAfterSeconds}::float8)
        for update skip locked)
      returning worker_id, graphile_worker_ids, session_name`;
    if (dead.length === 0) return [];
    const workerIds = dead.map((worker) => worker.worker_id);
    const graphileIds = dead.flatMap((worker) => worker.graphile_worker_ids ?? []);
    const terminated = await terminateSessions(
      tx,
      dead.flatMap((worker) => worker.session_name ?? []),
      { inTransaction: true, log },
    );
    await releaseHoldings(tx, workerIds, graphileIds);
    log?.warn(
      { workers: workerIds, graphileIds, terminatedSessions: terminated },
      'released the jobs of silent workers',
    );
    return workerIds;
  });
}

/**
 * A worker restarted under the same WORKER_ID (a supervisor restarting a crashed process) finds its
 * previous incarnation's row: those graphile ids are dead, and overwriting them would leave the jobs
 * they locked stuck for graphile-worker's four hours. Unlock them first.
 */
async function releasePreviousIncarnation(db: Db, workerId: string, log: Logger) {
  const previous = await db.workerHeartbeat.findUnique({ where: { workerId } });
  if (!previous) return;
  const terminated = await terminateSessions(db, previous.sessionName ? [previous.sessionName] : [], {
    inTransaction: false,
    log,
  });
  if (previous.graphileWorkerIds.length === 0) return;
  await releaseHoldings(db, [workerId], previous.graphileWorkerIds);
  log.warn(
    { graphileIds: previous.graphileWorkerIds, terminatedSessions: terminated },
    "released the jobs of this worker id's previous process",
  );
}

/**
 * Ends a dead process's Postgres sessions: what it left open rolls back and its locks are freed, and if
 * it wakes up, its connections are gone. Needs the same database role as the workers (or
 * pg_signal_backend); without it, the locks stay until the process's connections drop.
 */
async function terminateSessions(
  db: Db | Tx,
  sessionNames: string[],
  { inTransaction, log }: { inTransaction: boolean; log?: Logger },
): Promise<number> {
  if (sessionNames.length === 0) return 0;
  // In a transaction, a refusal must not abort the sweep: it runs under a savepoint.
  if (inTransaction) await db.$executeRawUnsafe('savepoint terminate_sessions');
  try {
    const [{ terminated }] = await db.$queryRaw<[{ terminated: number }]>`
      select count(*) filter (where pg_terminate_backend(pid))::int as terminated
      from pg_stat_activity
      where datname = current_database() and application_name = any(${sessionNames}::text[]) and pid <> pg_backend_pid()`;
    if (inTransaction) await db.$executeRawUnsafe('release savepoint terminate_sessions');
    return terminated;
  } catch (error) {
    if (inTransaction) await db.$executeRawUnsafe('rollback to savepoint terminate_sessions');
    log?.warn(
      { err: error, sessionNames },
      'could not end the sessions of a silent worker; its locks stay until its connections drop',
    );
    return 0;
  }
}

/**
 * What dead processes held: graphile-worker's locks on their jobs, their provider slots, and their
 * reports of engine instances (the admin view hides stale reports, but a killed worker never deletes
 * its own, and worker ids are new each deploy: without this the table only grows).
 */
async function releaseHoldings(db: Db | Tx, workerIds: string[], graphileIds: string[]) {
  if (graphileIds.length > 0) await db.$executeRaw`select graphile_worker.force_unlock_workers(${graphileIds}::text[])`;
  await db.providerLease.updateMany({
    where: { holder: { in: workerIds } },
    data: { holder: null, acquiredAt: null, expiresAt: null },
  });
  await db.engineInstance.deleteMany({ where: { workerId: { in: workerIds } } });
}
