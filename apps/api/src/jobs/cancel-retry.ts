/** Ending a job early (cancel) and running an ended one again (retry); both go through lifecycle. */
import { DomainError, isTerminalStatus, type JobView, type ProviderName } from '@darkroom/core';
import { lifecycle } from '@darkroom/db';
import { jobsFinished } from '../metrics.js';
import { assertProviderEnabled } from './checks.js';
import { visibleTo, type ServiceOptions, type SubmitOptions } from './options.js';
import { getJob } from './read.js';

/**
 * A queued job is canceled at once and its queue entry removed. A running job is asked to stop: the
 * worker sees `cancelRequestedAt` before its next image and finishes it as canceled, keeping what is
 * stored.
 */
export async function cancelJob({ db, user, id }: ServiceOptions & { id: string }): Promise<JobView> {
  const job = await db.job.findFirst({ where: { id, ...visibleTo(user) }, select: { id: true, status: true } });
  if (!job) throw new DomainError('NOT_FOUND', `job ${id} not found`);
  if (isTerminalStatus(job.status)) {
    throw new DomainError(
      'INVALID_STATE',
      `job ${id} is already ${job.status}; only queued or running jobs can be canceled`,
      { status: job.status },
    );
  }
  // A queued job ends here (lifecycle's end: credits back, webhook, queue entry gone); a running one
  // is asked to stop, and its worker ends it (and counts it).
  const outcome = await lifecycle.cancelJob(db, id);
  if (outcome.kind === 'ended') jobsFinished.inc({ status: 'canceled' });
  return getJob({ db, user, id });
}

/**
 * Runs a failed or canceled job again (or a succeeded one with images missing), regenerating only the
 * images it lacks; stored images are kept and not generated or charged again.
 */
export async function retryJob({ db, user, settings, limits, id }: SubmitOptions & { id: string }): Promise<JobView> {
  await limits.consumeSubmits(user.id, 1);
  await lifecycle.retryJob(db, {
    jobId: id,
    userId: user.id,
    maxActiveJobs: settings.maxActiveJobsPerUser,
    // Its provider may have been turned off since it was submitted.
    check: (job) => assertProviderEnabled(settings, job.provider as ProviderName, 'provider'),
  });
  return getJob({ db, user, id });
}
