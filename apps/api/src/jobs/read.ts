/** Reading jobs: one job, a page of the caller's jobs (filtered, searched). */
import { DomainError, type JobListInput, type JobListView, type JobView } from '@darkroom/core';
import { jobViewInclude, queuePlaceOf, queuePlacesOf, toJobView, type Db, type Prisma, type Tx } from '@darkroom/db';
import { hotJobView } from './hot-reads.js';
import { visibleTo, type ServiceOptions } from './options.js';

/** The most jobs a prompt search looks at (the newest that match). */
const MAX_SEARCH_MATCHES = 2000;

export async function getJob({ db, user, id }: ServiceOptions & { id: string }): Promise<JobView> {
  const where = { id, ...visibleTo(user) };
  const view = await hotJobView(db, where, () => findJobView(db, where));
  // Another user's job answers exactly like a missing one.
  if (!view) throw new DomainError('NOT_FOUND', `job ${id} not found`);
  return view;
}

export async function findJobView(db: Db | Tx, where: { id: string; userId?: string }): Promise<JobView | null> {
  const job = await db.job.findFirst({ where, include: jobViewInclude });
  return job ? toJobView(job, await queuePlaceOf(db, job)) : null;
}

/** Newest first; `nextCursor` is the id to pass for the following page, null on the last one. */
export async function listJobs({
  db,
  user,
  input,
}: ServiceOptions & { input: Required<Pick<JobListInput, 'limit'>> & JobListInput }): Promise<JobListView> {
  const limit = input.limit;
  const where: Prisma.JobWhereInput = {
    userId: user.id,
    ...(input.status ? { status: input.status } : {}),
    ...(input.preset ? { preset: input.preset } : {}),
    ...(input.projectId ? { projectId: input.projectId } : {}),
    ...(input.batchId ? { batchId: input.batchId } : {}),
    ...(input.createdFrom || input.createdTo
      ? {
          createdAt: {
            ...(input.createdFrom ? { gte: new Date(input.createdFrom) } : {}),
            ...(input.createdTo ? { lt: new Date(input.createdTo) } : {}),
          },
        }
      : {}),
  };
  if (input.search) {
    // The `search` column is Prisma-unsupported (tsvector), so the match is one raw query over the
    // caller's jobs (GIN index), and the page is read through Prisma as usual.
    const matches = await db.$queryRaw<{ id: string }[]>`
      select id::text as id from jobs
      where user_id = ${user.id}::uuid and search @@ websearch_to_tsquery('english', ${input.search})
      order by created_at desc limit ${MAX_SEARCH_MATCHES}`;
    where.id = { in: matches.map((row) => row.id) };
  }
  const jobs = await db.job.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    include: jobViewInclude,
  });
  const page = jobs.slice(0, limit);
  const places = await queuePlacesOf(db, page);
  const items = page.map((job) => toJobView(job, places.get(job.id)!));
  return { items, nextCursor: jobs.length > limit ? (page.at(-1)?.id ?? null) : null };
}
