/** Submitting one job. */
import { estimateWaitSeconds, isDomainError, type JobRequest, type JobView } from '@darkroom/core';
import { lifecycle, postgresErrorOf, recentStartRate, toJobView } from '@darkroom/db';
import { currentTraceParent } from '@darkroom/telemetry';
import { jobsCreated } from '../metrics.js';
import { assertWebhookTarget } from '../webhooks/service.js';
import { assertInCatalogs } from '../models/service.js';
import { assertSubmittable } from './checks.js';
import { assertInputsSupported, resolveInputs } from './inputs.js';
import { assertStartMeetable, withNotBefore } from './schedule.js';
import { findByIdempotencyKey } from './idempotency.js';
import type { SubmitOptions } from './options.js';

/** Postgres's SQLSTATE for a unique constraint violation. */
const UNIQUE_VIOLATION = '23505';

/**
 * Accepts a job in one statement (lifecycle's accept, a prepared statement over the pool) that counts it
 * against the submit rate, inserts it, reserves numImages x price credits
 * (INSUFFICIENT_CREDITS when short) and checks the active-jobs cap.
 */
export async function createJob({
  db,
  user,
  settings,
  limits,
  input,
}: SubmitOptions & { input: JobRequest }): Promise<JobView> {
  assertSubmittable(settings, user, input);
  assertInputsSupported(settings, input);
  await assertInCatalogs(db, [{ request: input, prefix: '' }]);
  const requestHash = lifecycle.hashJobRequest(input);
  if (input.idempotencyKey) {
    const earlier = await findByIdempotencyKey(db, user.id, input.idempotencyKey, requestHash);
    if (earlier) return earlier;
  }
  // Read-only and bounded (at most 10 ids): a refused input writes nothing, not even a rate-limit point.
  const inputs = await resolveInputs({ db, user, request: input });
  // Before the rate limit and the accept: a refused late job writes nothing and holds no credits.
  await assertStartMeetable(db, user.id, input);
  // A plain submit is counted inside the accept's statement (one round trip instead of two); one with a
  // webhook is counted first, because a DNS lookup per call must not be free to repeat.
  // One with inputs is counted first too: its statement (darkroom_accept_job_with_inputs) does not count.
  const countInAccept = !input.webhookUrl && !inputs;
  if (!countInAccept) await limits.consumeSubmits(user.id, 1);
  if (input.webhookUrl) await assertWebhookTarget({ db, user, settings, url: input.webhookUrl, field: 'webhookUrl' });
  try {
    const { job, ahead } = await lifecycle.acceptJob(db, {
      traceParent: currentTraceParent(),
      userId: user.id,
      request: input,
      requestHash,
      prices: settings.prices,
      maxActiveJobs: settings.maxActiveJobsPerUser,
      inputs,
      submits: countInAccept ? limits.submitCounter(user.id, 1) : null,
    });
    jobsCreated.inc({ priority: input.priority });
    const wait = estimateWaitSeconds(ahead!, await recentStartRate(db));
    return toJobView(job, {
      position: ahead!,
      estimatedWaitSeconds: withNotBefore(ahead!, wait, job.notBefore).estimatedWaitSeconds,
    });
  } catch (error) {
    const refused = postgresErrorOf(error);
    if (refused?.originalCode === lifecycle.SUBMITS_REFUSED) {
      const { msBeforeNext } = JSON.parse(refused.detail ?? '{}') as { msBeforeNext: number };
      throw limits.submitsRefusal(msBeforeNext);
    }
    // A submit refused for its credits or the active-jobs cap still spends a point, as when it was counted
    // before the accept: the budget bounds the work a caller can make, refused or not. The refusal is
    // the answer even when this count is the one over the budget.
    if (countInAccept && isDomainError(error) && ['INSUFFICIENT_CREDITS', 'RATE_LIMITED'].includes(error.code)) {
      await limits.consumeSubmits(user.id, 1).catch((counted: unknown) => {
        if (!isDomainError(counted)) throw counted;
      });
    }
    // Two submits with one key raced past the read above; the loser answers with the winner's job.
    if (input.idempotencyKey && postgresErrorOf(error)?.originalCode === UNIQUE_VIOLATION) {
      const earlier = await findByIdempotencyKey(db, user.id, input.idempotencyKey, requestHash);
      if (earlier) return earlier;
    }
    throw error;
  }
}
