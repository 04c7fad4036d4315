/**
 * A job for a test, made the way the API makes one: through lifecycle's accept (darkroom_accept_job),
 * so it has its images, its `created` event, its queue entry and its credits held, exactly as a submit
 * leaves them. Tests that need a job in another state drive it there through the lifecycle too.
 *
 *   const job = await makeJob({ db, user, request: { prompt: 'a fox', numImages: 2 } });
 */
import { DEFAULT_PRICES, JobRequest, type JobRequestInput, type PriceTable } from '@darkroom/core';
import type { Db } from '../client.js';
import type { JobWithImages } from '../job-views.js';
import { acceptJob } from '../lifecycle/accept.js';

export interface MakeJobOptions {
  db: Db;
  /** The owner; needs the credits the job holds (numImages x its price) unless it is free. */
  user: { id: string };
  /** Anything of a submit's request; the rest is core's defaults and a prompt. */
  request?: Partial<JobRequestInput>;
  /** Credits per image; default core's DEFAULT_PRICES (1 each). `{ local: 0 }` makes a free job. */
  prices?: PriceTable;
  batchId?: string | null;
  /** The active-jobs cap accept checks; default none to speak of. */
  maxActiveJobs?: number;
}

export async function makeJob({
  db,
  user,
  request = {},
  prices = DEFAULT_PRICES,
  batchId = null,
  maxActiveJobs = 1_000_000,
}: MakeJobOptions): Promise<JobWithImages> {
  const parsed = JobRequest.parse({ prompt: 'a test job', ...request });
  const { job } = await acceptJob(db, { userId: user.id, request: parsed, prices, batchId, maxActiveJobs });
  return job;
}
