/**
 * The references stage: up to MAX_REFERENCES_PER_JOB images that match a job's prompt, from the user's
 * uploads and earlier results, found by Postgres full-text search over tags, prompts and styles.
 *
 * Earlier results are searched among the owner's newest RESULT_WINDOW finished jobs, not their whole
 * history: a prompt's words match most of an active account's jobs (the same subjects come back), and
 * ranking every match made each job's run grow with the account's age (242 -> 685 ms over 40,000 jobs).
 * The window costs a bounded index range (jobs by owner and finish time) whatever the history. The
 * search is one SQL function, darkroom_find_references (packages/db/sql/), which keeps the planner on
 * that range even when the owner's statistics are stale: as a plain query it read every job of a fast-
 * growing account instead, and was half of Postgres's CPU in the throughput bench (docs/performance.md).
 */
import { MAX_REFERENCES_PER_JOB, type JobReference } from '@darkroom/core';
import { queryHot, type Db, type HotStatement, type Job } from '@darkroom/db';

/** How many of the owner's newest finished jobs the search of earlier results looks through. */
export const RESULT_WINDOW = 500;

/** The prompt's words as an OR query: any shared word is a match, more shared words rank higher. */
export function searchTerms(text: string): string {
  const words = (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((word) => word.length > 2);
  return [...new Set(words)].slice(0, 24).join(' or ');
}

export async function findReferences(
  db: Db,
  job: Pick<Job, 'id' | 'userId' | 'prompt' | 'style'>,
  limit = MAX_REFERENCES_PER_JOB,
): Promise<JobReference[]> {
  const terms = searchTerms(`${job.prompt} ${job.style ?? ''}`);
  if (!terms) return [];
  const rows = await queryHot<{
    source: 'upload' | 'result';
    id: string;
    palette: string[] | null;
    tags: string[];
    rank: number;
  }>(db, FIND_REFERENCES, [job.id, job.userId, terms, RESULT_WINDOW, limit]);
  return rows.map((row) => ({
    source: row.source,
    id: row.id,
    palette: row.palette ?? [],
    tags: row.tags,
    rank: Math.round(row.rank * 1e4) / 1e4,
  }));
}

/** One prepared statement per worker connection: every job's run sends it. */
const FIND_REFERENCES: HotStatement = {
  name: 'darkroom_find_references',
  text: 'select source, id, palette, tags, rank from darkroom_find_references($1::uuid, $2::uuid, $3::text, $4::int, $5::int)',
};
