/**
 * Quoting a request without submitting it: the submit's own checks (the same refusals, naming the same
 * fields: the request, its inputs, the catalogs), its price (lifecycle's priceOf: provider, model, kind,
 * quality) and the place darkroom_accept_job would give it
 * (darkroom_queue_place). Nothing is written and nothing is held.
 */
import { type JobRequest, type QuoteView } from '@darkroom/core';
import { lifecycle, recentRunSeconds } from '@darkroom/db';
import { assertInCatalogs } from '../models/service.js';
import { assertSubmittable } from './checks.js';
import { assertInputsSupported, resolveInputs } from './inputs.js';
import type { SubmitOptions } from './options.js';
import { predictStart } from './schedule.js';

export async function quoteJob({
  db,
  user,
  settings,
  input,
}: Omit<SubmitOptions, 'limits'> & { input: JobRequest }): Promise<QuoteView> {
  assertSubmittable(settings, user, input);
  assertInputsSupported(settings, input);
  await assertInCatalogs(db, [{ request: input, prefix: '' }]);
  // The inputs must name images the caller owns, of sizes that fit, as for the submit.
  await resolveInputs({ db, user, request: input });
  const pricePerImage = lifecycle.priceOf(input, settings.prices);
  const credits = pricePerImage * input.numImages;
  // The submit's own prediction (schedule.ts): its place, the queue's wait, no earlier than notBefore.
  const [prediction, runSeconds, owner] = await Promise.all([
    predictStart(db, user.id, input),
    recentRunSeconds(db, input.provider, input.numImages),
    db.user.findUniqueOrThrow({ where: { id: user.id }, select: { creditBalance: true } }),
  ]);
  const { position, estimatedWaitSeconds: wait, predictedStartAt } = prediction;
  const startAt = predictedStartAt === null ? null : Date.parse(predictedStartAt);
  return {
    credits,
    pricePerImage,
    balance: owner.creditBalance,
    affordable: owner.creditBalance >= credits,
    position,
    estimatedWaitSeconds: wait,
    predictedStartAt,
    predictedFinishAt:
      startAt === null || runSeconds === null ? null : new Date(startAt + runSeconds * 1000).toISOString(),
  };
}
