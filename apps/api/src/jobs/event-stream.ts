/**
 * One job's timeline live (`jobs.onEvent`, SSE): every event recorded after `lastEventId` (the
 * timeline's own ids), as `jobs.events` shapes it, until the job's `finished` event is sent. New events
 * are read when Postgres announces a change of the job (image_succeeded and image_failed come with
 * their image's status change, progress with the job's, position with its own NOTIFY from the worker's
 * position pass), and at least every second as a safety net.
 */
import { DomainError, toJobEventView } from '@darkroom/core';
import type { Db, JobChangeFeed } from '@darkroom/db';
import { tracked } from '@trpc/server';
import type { AuthUser } from '../context.js';
import { credentialCheck, type FollowOptions } from './live.js';
import { visibleTo } from './options.js';
import type { StreamSlots } from './stream-slots.js';

/** Events one read sends at most; the rest follow at once. */
const PAGE = 200;
const REFRESH_MS = 1000;

export interface FollowEventsOptions {
  db: Db;
  jobChanges: JobChangeFeed;
  slots?: StreamSlots | undefined;
  user: AuthUser;
  signal: AbortSignal | undefined;
  id: string;
  /** The id of the last event the client has (a timeline id); none: the whole timeline first. */
  lastEventId: string | null | undefined;
  /** As for `jobs.onUpdate`: a revoked key or ended session ends the stream. */
  recheck?: FollowOptions['recheck'];
}

export async function followJobEvents(options: FollowEventsOptions) {
  const { db, user, id, slots, signal } = options;
  // Checked before the stream opens, so another user's job is the procedure's NOT_FOUND.
  const job = await db.job.findFirst({ where: { id, ...visibleTo(user) }, select: { id: true } });
  if (!job) throw new DomainError('NOT_FOUND', `job ${id} not found`);
  const release = slots?.acquire(user.id) ?? (() => {});
  signal?.addEventListener('abort', release, { once: true });
  return streamEvents(options, release);
}

async function* streamEvents(
  { db, jobChanges, signal, id, lastEventId, recheck }: FollowEventsOptions,
  release: () => void,
) {
  const credentials = credentialCheck(recheck);
  let poke: (() => void) | null = null;
  let poked = false;
  const wake = () => {
    poked = true;
    poke?.();
  };
  const unsubscribe = jobChanges.subscribe({ jobId: id }, wake);
  signal?.addEventListener('abort', wake, { once: true });
  let after = BigInt(lastEventId ?? 0);
  try {
    for (;;) {
      poked = false;
      const rows = await db.jobEvent.findMany({
        where: { jobId: id, id: { gt: after } },
        orderBy: { id: 'asc' },
        take: PAGE,
      });
      for (const row of rows) {
        after = row.id;
        yield tracked(row.id.toString(), toJobEventView(row));
        if (row.type === 'finished') return;
      }
      if (rows.length === PAGE) continue;
      if (signal?.aborted) return;
      if (!poked) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, credentials.cap(REFRESH_MS));
          poke = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        poke = null;
      }
      if (signal?.aborted || !(await credentials.stand())) return;
    }
  } finally {
    unsubscribe();
    release();
  }
}
