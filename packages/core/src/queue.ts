/**
 * Queue order. A job's rank is its graphile-worker priority (lower runs first):
 *
 *   rank = band(priority) + slot
 *
 * Bands keep urgent ahead of high ahead of normal ahead of low. The slot is the job's place in its
 * owner's own backlog (0 for a user with nothing queued), so user B's first job competes with user A's
 * first job, not with A's 500th: one user's backlog cannot starve another user. Within a user, jobs
 * stay first-in first-out. A low job that waited too long moves to the normal band, keeping its slot.
 */
import type { Priority } from './job.js';

/** Slots per band; a backlog deeper than this shares the band's last slot (first-in first-out). */
export const BAND_WIDTH = 8000;

/** Where each priority's band starts (graphile-worker priorities are smallint, lower first). */
export const PRIORITY_BANDS: Record<Priority, number> = {
  urgent: -32000,
  high: -24000,
  normal: -16000,
  low: -8000,
};

/**
 * graphile-worker priority of housekeeping (webhook deliveries, queue upkeep, retention): ahead of every
 * band, or a backlog of generate jobs would keep it from ever running. Short tasks, so they delay a
 * generate job by at most their own run.
 */
export const HOUSEKEEPING_PRIORITY = -32768;

export function queueRankFor(priority: Priority, slot: number): number {
  return PRIORITY_BANDS[priority] + Math.min(Math.max(0, Math.floor(slot)), BAND_WIDTH - 1);
}

/** The band a rank falls in. */
export function bandOf(rank: number): Priority {
  const order: Priority[] = ['urgent', 'high', 'normal', 'low'];
  return order.find((priority) => rank < PRIORITY_BANDS[priority] + BAND_WIDTH) ?? 'low';
}

/** The same slot, moved to the normal band (aging of low-priority jobs). */
export function promotedRank(rank: number): number {
  return queueRankFor('normal', rank - PRIORITY_BANDS[bandOf(rank)]);
}

/**
 * Seconds until a job `position` places from the front starts, from the recent rate at which jobs
 * started (`startsPerSecond`). Null when there is no recent rate to go by.
 */
export function estimateWaitSeconds(position: number, startsPerSecond: number | null): number | null {
  if (startsPerSecond === null || !(startsPerSecond > 0)) return null;
  return Math.round(((position + 1) / startsPerSecond) * 10) / 10;
}
