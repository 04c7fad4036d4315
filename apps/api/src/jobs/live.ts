/**
 * Live updates: jobs followed over SSE subscriptions. Postgres announces every change (see
 * @darkroom/db's job-changes); a subscriber reads the job again when told and sends the view if it
 * differs from the last one sent. Several changes between two reads collapse into one read.
 */
import { createHash } from 'node:crypto';
import { isTerminalStatus, type JobView } from '@darkroom/core';
import {
  jobViewInclude,
  queuePlacesOf,
  toJobView,
  type Db,
  type JobChangeFeed,
  type JobWithImages,
} from '@darkroom/db';
import { tracked } from '@trpc/server';
import type { AuthUser } from '../context.js';
import { getJob } from './read.js';
import type { StreamSlots } from './stream-slots.js';

/** A queued job's position moves when other jobs start, which its own row does not announce. */
const QUEUED_REFRESH_MS = 1000;
/** A safety net: even with no announcement, a followed job is read again this often. */
const IDLE_REFRESH_MS = 15_000;
/** Jobs one feed read sends at most. */
const FEED_PAGE = 100;

export interface FollowOptions {
  db: Db;
  jobChanges: JobChangeFeed;
  /** A slot per open stream (per user and per process); none in callers that hold their own. */
  slots?: StreamSlots | undefined;
  /** Checked every `everyMs` while the stream lasts: a revoked key or ended session ends it. */
  recheck?: { stillAuthenticated: () => Promise<boolean>; everyMs: number } | undefined;
  user: AuthUser;
  signal: AbortSignal | undefined;
  lastEventId: string | null | undefined;
}

/** A version of a view: equal views, equal ids, so a reconnecting client is sent nothing it has. */
function versionOf(view: JobView): string {
  return createHash('sha1').update(JSON.stringify(view)).digest('base64url').slice(0, 16);
}

/**
 * One job until it ends: its current view first (unless the client already has it), then every
 * change. Another user's job answers NOT_FOUND, like `jobs.get`.
 */
export async function followJob(options: FollowOptions & { id: string }) {
  // Read before the stream opens, so NOT_FOUND is the procedure's answer rather than a broken stream.
  const view = await getJob({ db: options.db, user: options.user, id: options.id });
  return streamJob(options, view, takeSlot(options));
}

/**
 * A stream's slot, taken when the procedure answers (so a refusal is the procedure's RATE_LIMITED, not
 * an error inside the stream), given back when the stream ends or its request goes away.
 */
function takeSlot({ slots, user, signal }: FollowOptions): () => void {
  const release = slots?.acquire(user.id) ?? (() => {});
  signal?.addEventListener('abort', release, { once: true });
  return release;
}

async function* streamJob(
  { db, jobChanges, user, signal, lastEventId, id, recheck }: FollowOptions & { id: string },
  first: JobView,
  release: () => void,
) {
  let view = first;
  const wake = wakeOn(signal);
  const credentials = credentialCheck(recheck);
  const unsubscribe = jobChanges.subscribe({ jobId: id }, wake.poke);
  try {
    let sent = lastEventId ?? null;
    for (;;) {
      const version = versionOf(view);
      if (version !== sent) {
        sent = version;
        yield tracked(version, view);
      }
      if (isTerminalStatus(view.status)) return;
      await wake.wait(credentials.cap(view.status === 'queued' ? QUEUED_REFRESH_MS : IDLE_REFRESH_MS));
      if (signal?.aborted || !(await credentials.stand())) return;
      view = await getJob({ db, user, id });
    }
  } finally {
    unsubscribe();
    release();
  }
}

/**
 * Every change to any of the caller's jobs, as views. Event ids are `<updatedAt ms>`: a client that
 * reconnects with one is first sent every job updated since then, page by page, then changes as they
 * are announced (and after a reconnect of the LISTEN connection, what changed while it was down).
 */
export function followMyJobs(options: FollowOptions) {
  return streamMyJobs(options, takeSlot(options));
}

async function* streamMyJobs(
  { db, jobChanges, user, signal, lastEventId, recheck }: FollowOptions,
  release: () => void,
) {
  const credentials = credentialCheck(recheck);
  const changed = new Set<string>();
  const wake = wakeOn(signal);
  let resync = false;
  const unsubscribe = jobChanges.subscribe({ userId: user.id }, (change) => {
    if (change) changed.add(change.jobId);
    else resync = true;
    wake.poke();
  });
  try {
    // Subscribed first: what changes while the backlog is sent is in `changed` for the next turn.
    if (lastEventId) yield* updatedSince(db, user, new Date(Number(lastEventId)), signal);
    for (;;) {
      if (resync) {
        resync = false;
        yield* updatedSince(db, user, new Date(Date.now() - IDLE_REFRESH_MS), signal);
      }
      const ids = [...changed];
      changed.clear();
      for (let start = 0; start < ids.length; start += FEED_PAGE) {
        const jobs = await db.job.findMany({
          where: { id: { in: ids.slice(start, start + FEED_PAGE) }, userId: user.id },
          include: jobViewInclude,
          orderBy: { updatedAt: 'asc' },
        });
        yield* viewsOf(db, jobs);
      }
      await wake.wait(credentials.cap(IDLE_REFRESH_MS));
      if (signal?.aborted || !(await credentials.stand())) return;
    }
  } finally {
    unsubscribe();
    release();
  }
}

/**
 * A stream's periodic look at its credentials: `cap` shortens a wait so the look is never late by
 * more than its interval, `stand` answers false once they no longer hold (then the stream ends, and a
 * client that reconnects is asked for credentials again).
 */
export function credentialCheck(recheck: FollowOptions['recheck']) {
  let last = Date.now();
  return {
    cap: (ms: number) => (recheck ? Math.min(ms, recheck.everyMs) : ms),
    async stand(): Promise<boolean> {
      if (!recheck || Date.now() - last < recheck.everyMs) return true;
      last = Date.now();
      return recheck.stillAuthenticated();
    },
  };
}

/**
 * The user's jobs updated at or after `since` (an event id is a millisecond: another job may share
 * it), oldest change first, in pages of FEED_PAGE (keyset on updatedAt, id).
 */
async function* updatedSince(db: Db, user: AuthUser, since: Date, signal: AbortSignal | undefined) {
  let after: { updatedAt: Date; id: string } | null = null;
  for (;;) {
    const jobs: JobWithImages[] = await db.job.findMany({
      where: {
        userId: user.id,
        OR: after
          ? [{ updatedAt: { gt: after.updatedAt } }, { updatedAt: after.updatedAt, id: { gt: after.id } }]
          : [{ updatedAt: { gte: since } }],
      },
      include: jobViewInclude,
      orderBy: [{ updatedAt: 'asc' }, { id: 'asc' }],
      take: FEED_PAGE,
    });
    yield* viewsOf(db, jobs);
    if (jobs.length < FEED_PAGE || signal?.aborted) return;
    const last = jobs.at(-1)!;
    after = { updatedAt: last.updatedAt, id: last.id };
  }
}

/**
 * A page of jobs as feed events. The queue places come from one statement for the page: a burst of
 * submits (a batch, a client's many tabs) wakes the feed with many queued jobs at once, and a count per
 * job, one after another, held the last of them back by the sum.
 */
async function* viewsOf(db: Db, jobs: JobWithImages[]) {
  const places = await queuePlacesOf(db, jobs);
  for (const job of jobs) yield tracked(String(job.updatedAt.getTime()), toJobView(job, places.get(job.id)!));
}

/**
 * Resolves with the job's view once it has ended, or with its latest view when `signal` aborts first
 * (callers that wait synchronously, like the OpenAI-compatible endpoint, decide what a timeout means).
 */
export async function waitForJobEnd(
  options: Omit<FollowOptions, 'lastEventId'> & { id: string; signal: AbortSignal },
): Promise<JobView> {
  let last: JobView | undefined;
  for await (const view of viewsUntilEnd(options)) last = view;
  return last!;
}

/**
 * The job's view now and after every change until it ends or `signal` aborts (the last view yielded is
 * then the one seen at that moment). Changes between two reads collapse into one read.
 */
export async function* viewsUntilEnd({
  db,
  jobChanges,
  user,
  id,
  signal,
}: Omit<FollowOptions, 'lastEventId'> & { id: string; signal: AbortSignal }): AsyncGenerator<JobView> {
  const wake = wakeOn(signal);
  // Subscribed before the first read, so a change between the two is not missed.
  const unsubscribe = jobChanges.subscribe({ jobId: id }, wake.poke);
  try {
    for (;;) {
      const view = await getJob({ db, user, id });
      yield view;
      if (isTerminalStatus(view.status) || signal.aborted) return;
      await wake.wait(QUEUED_REFRESH_MS);
    }
  } finally {
    unsubscribe();
  }
}

/** The request's own signal, aborted also when the server starts closing. */
export function untilClosing(signal: AbortSignal | undefined, closing: AbortSignal): AbortSignal {
  return signal ? AbortSignal.any([signal, closing]) : closing;
}

/** Sleeps until poked, `ms` pass, or `signal` aborts; a poke while awake is kept for the next wait. */
function wakeOn(signal: AbortSignal | undefined) {
  let poked = false;
  let resolve: (() => void) | null = null;
  const poke = () => {
    poked = true;
    resolve?.();
  };
  signal?.addEventListener('abort', poke, { once: true });
  return {
    poke,
    async wait(ms: number) {
      if (!poked) {
        await new Promise<void>((done) => {
          const timer = setTimeout(done, ms);
          resolve = () => {
            clearTimeout(timer);
            done();
          };
        });
        resolve = null;
      }
      poked = false;
    },
  };
}
