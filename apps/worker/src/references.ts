/**
 * The references stage: up to MAX_REFERENCES_PER_JOB images that match a job's prompt, from the user's
 * uploads and earlier results, found by Postgres full-text search over tags, prompts and styles.
 *
 * Earlier results are searched among the owner's newest RESULT_WINDOW finished jobs, not their whole
 * history: a prompt's words match most of an active account's jobs (the same subjects come back), and
 * ranking every match made each job's run grow with the account's age (242 -> 685 ms over 40,000 jobs).
 * The window costs a bounded index range (jobs by owner and finish time) whatever the history.
 */
import { MAX_REFERENCES_PER_JOB, type JobReference } from '@darkroom/core';
import type { Db, Job } from '@darkroom/db';

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
  const rows = await db.$queryRaw<
    { source: 'upload' | 'result'; id: string; palette: string[] | null; tags: string[]; rank: number }[]
  >`
    with q as (select websearch_to_tsquery('english', ${terms}) as query)
    select source, id, palette, tags, rank from (
      select 'upload' as source, r.id::text as id, r.palette, r.tags, ts_rank(r.search, q.query)::float8 as rank, r.created_at as at
      from "references" r, q
      where r.user_id = ${job.userId}::uuid and r.search @@ q.query
      union all
      select 'result', i.id::text, i.palette, array_remove(array[j.style, j.preset], null), ts_rank(j.search, q.query)::float8, i.created_at
      from (
        select id, style, preset, search from jobs
        where user_id = ${job.userId}::uuid and finished_at is not null and id <> ${job.id}::uuid
        order by finished_at desc
        limit ${RESULT_WINDOW}::int
      ) j join images i on i.job_id = j.id, q
      where i.status = 'succeeded' and i.palette is not null and j.search @@ q.query
    ) found
    order by rank desc, at desc
    limit ${limit}`;
  return rows.map((row) => ({
    source: row.source,
    id: row.id,
    palette: row.palette ?? [],
    tags: row.tags,
    rank: Math.round(row.rank * 1e4) / 1e4,
  }));
}
