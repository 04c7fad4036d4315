/**
 * Usage over the last 24 hours, 7 days and all time, computed in Postgres: one user's (`stats.me`) or
 * everyone's (`stats.global`, admins).
 */
import {
  STATS_WINDOWS,
  type GlobalStatsView,
  type GlobalStatsWindow,
  type UsageView,
  type UsageWindow,
} from '@darkroom/core';
import { Prisma, type Db } from '@darkroom/db';
import type { AuthUser } from '../context.js';
import { topModelsSince } from './models.js';

const DAY_MS = 24 * 3600_000;
const WINDOW_MS: Record<(typeof STATS_WINDOWS)[number], number | null> = { '24h': DAY_MS, '7d': 7 * DAY_MS, all: null };
const TOP = 5;

export async function getMyUsage({ db, user }: { db: Db; user: AuthUser }): Promise<UsageView> {
  const now = Date.now();
  const windows = await Promise.all(
    STATS_WINDOWS.map((window) => usageSince(db, user.id, new Date(now - (WINDOW_MS[window] ?? now)))),
  );
  return { '24h': windows[0]!, '7d': windows[1]!, all: windows[2]! };
}

export async function getGlobalStats({ db }: { db: Db }): Promise<GlobalStatsView> {
  const now = Date.now();
  const [day, week] = await Promise.all([
    globalSince(db, new Date(now - DAY_MS)),
    globalSince(db, new Date(now - 7 * DAY_MS)),
  ]);
  return { '24h': day, '7d': week };
}

async function globalSince(db: Db, from: Date): Promise<GlobalStatsWindow> {
  const [usage, [users], providers] = await Promise.all([
    usageSince(db, null, from),
    db.$queryRaw<{ n: bigint }[]>`select count(distinct user_id) as n from jobs where created_at >= ${from}`,
    db.$queryRaw<{ provider: string; succeeded: bigint; failed: bigint; canceled: bigint }[]>`
      select provider,
        count(*) filter (where status = 'succeeded') as succeeded,
        count(*) filter (where status = 'failed') as failed,
        count(*) filter (where status = 'canceled') as canceled
      from jobs where created_at >= ${from}
      group by provider order by count(*) desc, provider`,
  ]);
  const rate = (succeeded: number, failed: number) =>
    succeeded + failed > 0 ? succeeded / (succeeded + failed) : null;
  return {
    ...usage,
    activeUsers: Number(users?.n ?? 0),
    successRate: rate(usage.succeeded, usage.failed),
    outcomesByProvider: providers.map((row) => {
      const [succeeded, failed, canceled] = [Number(row.succeeded), Number(row.failed), Number(row.canceled)];
      return { provider: row.provider, succeeded, failed, canceled, successRate: rate(succeeded, failed) };
    }),
  };
}

/** One user's usage, or everyone's when `userId` is null. */
async function usageSince(db: Db, userId: string | null, from: Date): Promise<UsageWindow> {
  const owner = userId === null ? Prisma.sql`true` : Prisma.sql`user_id = ${userId}::uuid`;
  const jobOwner = userId === null ? Prisma.sql`true` : Prisma.sql`j.user_id = ${userId}::uuid`;
  // Jobs are counted by when they were submitted; processing time is start -> finish of runs that ended.
  const [totals] = await db.$queryRaw<
    {
      jobs: bigint;
      succeeded: bigint;
      failed: bigint;
      canceled: bigint;
      credits: bigint | null;
      avg_ms: number | null;
      p95_ms: number | null;
    }[]
  >`
    select count(*) as jobs,
      count(*) filter (where status = 'succeeded') as succeeded,
      count(*) filter (where status = 'failed') as failed,
      count(*) filter (where status = 'canceled') as canceled,
      sum(credits_charged) as credits,
      avg(extract(epoch from finished_at - started_at) * 1000)
        filter (where status in ('succeeded', 'failed') and started_at is not null)::float8 as avg_ms,
      percentile_cont(0.95) within group (order by extract(epoch from finished_at - started_at) * 1000)
        filter (where status in ('succeeded', 'failed') and started_at is not null)::float8 as p95_ms
    from jobs where ${owner} and created_at >= ${from}`;
  const [images] = await db.$queryRaw<{ n: bigint }[]>`
    select count(*) as n from images i join jobs j on j.id = i.job_id
    where ${jobOwner} and j.created_at >= ${from} and i.status = 'succeeded'`;
  const presets = await db.$queryRaw<{ preset: string; jobs: bigint }[]>`
    select preset, count(*) as jobs from jobs where ${owner} and created_at >= ${from}
    group by preset order by count(*) desc, preset limit ${TOP}`;
  const providers = await db.$queryRaw<{ provider: string; jobs: bigint }[]>`
    select provider, count(*) as jobs from jobs where ${owner} and created_at >= ${from}
    group by provider order by count(*) desc, provider limit ${TOP}`;
  const topModels = await topModelsSince(db, userId, from);
  return {
    jobs: Number(totals?.jobs ?? 0),
    succeeded: Number(totals?.succeeded ?? 0),
    failed: Number(totals?.failed ?? 0),
    canceled: Number(totals?.canceled ?? 0),
    images: Number(images?.n ?? 0),
    averageProcessingMs: totals?.avg_ms === null || totals?.avg_ms === undefined ? null : Math.round(totals.avg_ms),
    p95ProcessingMs: totals?.p95_ms === null || totals?.p95_ms === undefined ? null : Math.round(totals.p95_ms),
    creditsUsed: Number(totals?.credits ?? 0),
    topPresets: presets.map((row) => ({ preset: row.preset, jobs: Number(row.jobs) })),
    topProviders: providers.map((row) => ({ provider: row.provider, jobs: Number(row.jobs) })),
    topModels,
  };
}
