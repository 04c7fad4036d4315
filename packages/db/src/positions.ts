/**
 * `position` timeline events: a queued job's place moves when *other* jobs start, which its own row
 * never announces, so a writer looks at the queue once a second (the worker's `startPositionEvents`)
 * and records, for each queued job whose place moved enough, its place, expected wait and start. The
 * job_events trigger (darkroom_job_event_webhook) sends `job.position` to the webhooks that list it;
 * the NOTIFY wakes every API replica's live subscribers of the job.
 *
 * Throttled twice: at most one event per job per second, and only when the place moved by at least a
 * tenth (always near the head, where every move is more than that), so a job deep in a long queue gets
 * a few events on its way to the head instead of one per start ahead of it. The first event comes at
 * once; only the first POSITION_SCAN_LIMIT jobs in queue order are looked at per pass, and at most
 * POSITION_EVENTS_PER_PASS events are written per pass, head first. Without that cap a queue draining at
 * 45 jobs/s made ~1,800 events a second at 10,000 queued (every job near the head each second, deeper
 * ones each time they moved a tenth), each an insert and a NOTIFY that every API and worker process
 * read (docs/performance.md, issue 20). A job the cap passes over gets its event in a later pass, still
 * throttled by the same rules.
 */
import type { Db } from './client.js';
import { recentStartRate } from './job-views.js';

/** How many queued jobs, from the head, one pass looks at (bounds its cost in a very long queue). */
export const POSITION_SCAN_LIMIT = 10_000;

/** How many `position` events one pass writes at most, in queue order. */
export const POSITION_EVENTS_PER_PASS = 100;

/** Any constant: one pass at a time across every worker (a pass that cannot take it skips its turn). */
const POSITIONS_LOCK = 'darkroom_positions';

/** Writes the `position` events due now; answers how many. */
export async function recordQueuePositions(db: Db): Promise<number> {
  const rate = await recentStartRate(db);
  const rows = await db.$queryRaw<{ n: bigint }[]>`
    with lock as (select pg_try_advisory_xact_lock(hashtext(${POSITIONS_LOCK})) as got),
    head as (
      select j.id, j.user_id, j.not_before, j.queue_rank, j.created_at from jobs j
      where j.status = 'queued' and (select got from lock)
      order by j.queue_rank, j.created_at, j.id limit ${POSITION_SCAN_LIMIT}::int),
    placed as (
      select h.id, h.user_id, h.queue_rank, h.created_at, (row_number() over queue_order - 1)::int as position,
        -- core's estimateWaitSeconds, then no earlier than notBefore (job-views' notBeforeWait).
        case when ${rate}::float8 > 0 then round(((row_number() over queue_order) / ${rate}::float8)::numeric, 1)::float8 end
          as queue_wait,
        extract(epoch from h.not_before - now())::float8 as left_s
      from head h
      window queue_order as (order by h.queue_rank, h.created_at, h.id)),
    due as (
      select p.id, p.user_id, p.position,
        case when p.left_s > 0 then round(greatest(coalesce(p.queue_wait, 0), p.left_s)::numeric, 1)::float8
          else p.queue_wait end as wait
      from placed p
      left join lateral (
        select (e.data->>'position')::int as position, e.created_at from job_events e
        where e.job_id = p.id and e.type = 'position' order by e.id desc limit 1) last on true
      where last.position is null
        or (last.position <> p.position and last.created_at <= now() - interval '1 second'
            and abs(last.position - p.position) * 10 >= last.position)
      -- Head first: the queue's order, as the head was read.
      order by p.queue_rank, p.created_at, p.id
      limit ${POSITION_EVENTS_PER_PASS}::int),
    written as (
      insert into job_events (job_id, type, data)
      select d.id, 'position', jsonb_build_object('position', d.position, 'estimatedWaitSeconds', d.wait,
        'predictedStartAt', case when d.wait is not null
          then to_char((now() + make_interval(secs => d.wait)) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') end)
      from due d
      returning job_id)
    select count(pg_notify('darkroom_jobs',
      json_build_object('jobId', d.id, 'userId', d.user_id, 'cancelRequested', false)::text)) as n
    from due d join written w on w.job_id = d.id`;
  return Number(rows[0]?.n ?? 0);
}
