/**
 * Queue positions without counting the whole queue. A position is the number of queued jobs ahead of a
 * job in the queue's order (queue_rank, created_at, id); counting them is an index range of the whole
 * queue ahead, ~14 ms at 100,000 queued jobs, paid by every read of a queued job.
 *
 * Instead each process keeps checkpoints: every `step`-th queued job's key and its position, taken by
 * one pass over the queue at most once a second (in the background, while reads go on with the previous
 * set). A position is then the nearest checkpoint's position plus a count of the short stretch from that
 * checkpoint to the job (at most about `step` index entries).
 *
 * What that costs in exactness: the part before the checkpoint is as of when the checkpoints were taken
 * (at most `maxAgeMs` ago), so jobs that started or arrived ahead of it since are not yet reflected: a
 * position deep in a long queue is off by at most the queue's churn in that time, a few jobs. Jobs
 * within the first `step` places are always counted exactly (their count is short anyway), and so are
 * all jobs while no fresh checkpoints exist.
 */
import type { Db, Tx } from './client.js';

/** A place in the queue's order. */
export interface QueueKey {
  queueRank: number;
  createdAt: Date;
  id: string;
}

interface Checkpoint extends QueueKey {
  position: number;
}

interface State {
  at: number;
  checkpoints: Checkpoint[] | null;
  refreshing: Promise<void> | null;
}

/** Tunables; tests lower them. */
export const queueCheckpointSettings = {
  /** A checkpoint every this many queued jobs (none before the first `step`: those are counted exactly). */
  step: 1000,
  /** Checkpoints older than this are refreshed in the background. */
  refreshAfterMs: 1000,
  /** Checkpoints older than this are not used (exact counts until a refresh lands). */
  maxAgeMs: 2000,
};

const states = new WeakMap<object, State>();

/** The queue's order on keys: rank, then age, then id (uuids compare as their lowercase hex text). */
export function compareQueueKeys(a: QueueKey, b: QueueKey): number {
  return (
    a.queueRank - b.queueRank ||
    a.createdAt.getTime() - b.createdAt.getTime() ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * Where to start counting the queued jobs ahead of `key`: a checkpoint's key and its position, or null
 * to count from the queue's head. Inside a transaction there is no cache: a count there must see the
 * transaction's own writes, so it is exact.
 */
export function startingPointFor(db: Db | Tx, key: QueueKey): Checkpoint | null {
  // A transaction's client has no $transaction of its own.
  if (typeof (db as Partial<Db>).$transaction !== 'function') return null;
  let state = states.get(db);
  if (!state) {
    state = { at: 0, checkpoints: null, refreshing: null };
    states.set(db, state);
  }
  const age = Date.now() - state.at;
  if (age >= queueCheckpointSettings.refreshAfterMs && !state.refreshing) {
    const refreshing = refresh(db as Db, state).finally(() => {
      if (state!.refreshing === refreshing) state!.refreshing = null;
    });
    state.refreshing = refreshing;
  }
  if (!state.checkpoints || age > queueCheckpointSettings.maxAgeMs) return null;
  return lastAtOrBefore(state.checkpoints, key);
}

/** The last checkpoint whose key is at or before `key` (binary search), or null. */
function lastAtOrBefore(checkpoints: Checkpoint[], key: QueueKey): Checkpoint | null {
  let low = 0;
  let high = checkpoints.length - 1;
  let found: Checkpoint | null = null;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (compareQueueKeys(checkpoints[middle]!, key) <= 0) {
      found = checkpoints[middle]!;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}

/** One pass over the queue in its order, keeping every `step`-th job after the first `step`. */
async function refresh(db: Db, state: State): Promise<void> {
  const step = queueCheckpointSettings.step;
  // The set describes the queue as of the pass's start: its age is counted from there.
  const startedAt = Date.now();
  try {
    const rows = await db.$queryRaw<{ queue_rank: number; created_at: Date; id: string; position: bigint }[]>`
      select queue_rank, created_at, id::text, position from (
        select queue_rank, created_at, id, row_number() over (order by queue_rank, created_at, id) - 1 as position
        from jobs where status = 'queued'
      ) queued
      where position >= ${step}::int and position % ${step}::int = 0`;
    state.checkpoints = rows.map((row) => ({
      queueRank: row.queue_rank,
      createdAt: row.created_at,
      id: row.id,
      position: Number(row.position),
    }));
    state.at = startedAt;
  } catch {
    // A failed refresh (the database away) leaves the old set to age out: reads count exactly meanwhile.
  }
}

/** Resolves once the refresh in flight for `db`, if any, has landed (for tests and benches). */
export async function queueCheckpointsSettled(db: Db): Promise<void> {
  await states.get(db)?.refreshing;
}
