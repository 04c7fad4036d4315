/**
 * Liveness and crash recovery. Every worker process writes a heartbeat row every few seconds; every
 * worker also checks, every few seconds, for processes silent longer than `deadAfterSeconds` and
 * releases what they held: graphile-worker's locks on their jobs (`force_unlock_workers`, otherwise a
 * dead worker's jobs stay locked for four hours) and their provider slots. Another worker then resumes
 * those jobs, skipping images already stored.
 *
 * graphile-worker's cron ticks once a minute, too coarse to resume a job within a minute of a kill -9,
 * so recovery runs on an interval in every worker, one at a time under an advisory lock.
 */
import os from 'node:os';
import type { Db, Tx } from '@darkroom/db';
import type { Logger } from 'pino';

/** pg_try_advisory_lock key for the recovery sweep ("darkroom recovery"). */
const RECOVERY_LOCK = 0x6461726b;

export interface HeartbeatOptions {
  db: Db;
  workerId: string;
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
  const data = () => ({ host: os.hostname(), pid: process.pid, concurrency: options.concurrency, graphileWorkerIds: options.graphileWorkerIds(), lastSeenAt: new Date() });
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
  const beating = setInterval(() => beat().catch((error) => log.warn({ err: error }, 'heartbeat failed')), intervalMs);
  const recovering = setInterval(
    () => recoverDeadWorkers(db, deadAfterSeconds, log).catch((error) => log.warn({ err: error }, 'recovery sweep failed')),
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
 * of the workers it found dead. Safe to run from several processes: one sweeps at a time.
 */
export async function recoverDeadWorkers(db: Db, deadAfterSeconds: number, log?: Logger): Promise<string[]> {
  return db.$transaction(async (tx) => {
    const [{ locked }] = await tx.$queryRaw<[{ locked: boolean }]>`select pg_try_advisory_xact_lock(${RECOVERY_LOCK}) as locked`;
    if (!locked) return [];
    const dead = await tx.workerHeartbeat.findMany({
      where: { lastSeenAt: { lt: new Date(Date.now() - deadAfterSeconds * 1000) } },
    });
    if (dead.length === 0) return [];
    const graphileIds = dead.flatMap((worker) => worker.graphileWorkerIds);
    await releaseHoldings(tx, dead.map((worker) => worker.workerId), graphileIds);
    await tx.workerHeartbeat.deleteMany({ where: { workerId: { in: dead.map((worker) => worker.workerId) } } });
    log?.warn({ workers: dead.map((worker) => worker.workerId), graphileIds }, 'released the jobs of silent workers');
    return dead.map((worker) => worker.workerId);
  });
}

/**
 * A worker restarted under the same WORKER_ID (a supervisor restarting a crashed process) finds its
 * previous incarnation's row: those graphile ids are dead, and overwriting them would leave the jobs
 * they locked stuck for graphile-worker's four hours. Unlock them first.
 */
async function releasePreviousIncarnation(db: Db, workerId: string, log: Logger) {
  const previous = await db.workerHeartbeat.findUnique({ where: { workerId } });
  if (!previous || previous.graphileWorkerIds.length === 0) return;
  await releaseHoldings(db, [workerId], previous.graphileWorkerIds);
  log.warn({ graphileIds: previous.graphileWorkerIds }, 'released the jobs of this worker id\'s previous process');
}

/** What dead processes held: graphile-worker's locks on their jobs, and their provider slots. */
async function releaseHoldings(db: Db | Tx, workerIds: string[], graphileIds: string[]) {
  if (graphileIds.length > 0) await db.$executeRaw`select graphile_worker.force_unlock_workers(${graphileIds}::text[])`;
  await db.providerLease.updateMany({ where: { holder: { in: workerIds } }, data: { holder: null, acquiredAt: null, expiresAt: null } });
}
