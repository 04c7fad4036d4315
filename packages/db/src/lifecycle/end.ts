/**
 * `end`: the one writer of every terminal status (succeeded, failed, canceled).
 *
 * One transaction with the job row locked: the fence (the caller's claim still holds), the status
 * decided, images not finished marked canceled, held credits settled (charged for stored images,
 * the rest refunded), the status with its one `finished` event, the `job.finished` webhook and, for a
 * job that never left the queue, its queue entry removed. Nothing else writes a terminal status, so
 * every end has the same event shape and the same settlement.
 *
 * All of it is one plpgsql function, darkroom_end_job (packages/db/sql; migration end_job), which only
 * this module calls. How a `settle` is decided: a requested cancel makes it canceled; a run timeout,
 * failed (`run_timeout`, the stored images kept); one stored image, succeeded; none, failed with the
 * first failed image's error (else `internal`).
 */
import { HOUSEKEEPING_PRIORITY, jobEvent, type FinishedEventData, type JobError, type JobStatus } from '@darkroom/core';
import { pgPoolOf, type Db, type Tx } from '../client.js';
import { WEBHOOK_DELIVERY_MAX_ATTEMPTS } from '../webhooks.js';
import { SupersededError } from './fences.js';

export type Ending =
  /** The worker's end of a run: the status follows from what the images became. */
  | { kind: 'settle'; stopReason?: 'run_timeout' | null }
  /** The job cannot run (bad payload, start deadline, retries exhausted, abandoned). */
  | { kind: 'fail'; error: JobError }
  /** Canceled before any run (a cancel while queued). */
  | { kind: 'cancel'; reason: string };

export interface EndOptions {
  /** The claim the caller holds (`jobs.attempts` when it claimed): a later claim fences it out. */
  attempt?: number;
  /** End only a job in one of these statuses (a cancel while queued: `['queued']`); else nothing is written. */
  from?: readonly JobStatus[];
}

export interface Ended {
  status: 'succeeded' | 'failed' | 'canceled';
  /** The status it ended from. */
  previous: 'queued' | 'running';
  startedAt: Date | null;
  finished: FinishedEventData;
}

interface EndRow {
  end_outcome: 'ended' | 'none' | 'superseded';
  end_status: Ended['status'] | null;
  end_previous: Ended['previous'] | null;
  end_started_at: Date | null;
  end_finished: unknown;
}

/**
 * Named, so each connection parses and plans it once. The whole end is this one statement (it was
 * BEGIN, a locked read, the settlement's read and write, the status write and COMMIT): the function's
 * body runs as one transaction of its own.
 */
const END_JOB = {
  name: 'darkroom_end_job',
  text: `select end_outcome, end_status, end_previous, end_started_at, end_finished
    from darkroom_end_job($1::uuid, $2::text, $3::text, $4::int, $5::text[], $6::text, $7::text, $8::boolean, $9::text, $10::int, $11::int)`,
};

/**
 * Ends the job; answers what it wrote, or null when it was already over (or not in `from`). Throws
 * SupersededError, having written nothing, when `attempt` no longer holds. One statement, sent through
 * the node-postgres pool under the client (pgPoolOf) rather than Prisma's client runtime: it runs at
 * the end of every job.
 */
export async function endJob(db: Db, jobId: string, ending: Ending, options: EndOptions = {}): Promise<Ended | null> {
  const pool = pgPoolOf(db);
  if (!pool) return endJobIn(db, jobId, ending, options);
  const { rows } = await pool.query<EndRow>({ ...END_JOB, values: endValues(jobId, ending, options) });
  return ended(jobId, rows[0]!, options);
}

/** `endJob` inside the caller's transaction (or through Prisma, for a client made elsewhere than makeDb). */
export async function endJobIn(
  tx: Tx | Db,
  jobId: string,
  ending: Ending,
  options: EndOptions = {},
): Promise<Ended | null> {
  const rows = await tx.$queryRawUnsafe<EndRow[]>(END_JOB.text, ...endValues(jobId, ending, options));
  return ended(jobId, rows[0]!, options);
}

function endValues(jobId: string, ending: Ending, options: EndOptions): unknown[] {
  const error = ending.kind === 'fail' ? ending.error : null;
  return [
    jobId,
    ending.kind,
    ending.kind === 'settle' ? (ending.stopReason ?? null) : null,
    options.attempt ?? null,
    options.from ? [...options.from] : null,
    error?.code ?? null,
    error?.message ?? null,
    error?.retryable ?? null,
    ending.kind === 'cancel' ? ending.reason : null,
    WEBHOOK_DELIVERY_MAX_ATTEMPTS,
    HOUSEKEEPING_PRIORITY,
  ];
}

function ended(jobId: string, row: EndRow, options: EndOptions): Ended | null {
  if (row.end_outcome === 'superseded') throw new SupersededError(jobId, options.attempt!);
  if (row.end_outcome !== 'ended') return null;
  // The event was built in SQL; its shape is still the one core declares (a wrong one throws here).
  const { data: finished } = jobEvent('finished', row.end_finished as FinishedEventData);
  return { status: row.end_status!, previous: row.end_previous!, startedAt: row.end_started_at, finished };
}
