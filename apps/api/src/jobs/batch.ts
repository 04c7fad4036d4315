/** Batches: up to 100 jobs submitted at once, all or nothing, and read back as one. */
import { randomUUID } from 'node:crypto';
import {
  DomainError,
  isTerminalStatus,
  kindOf,
  pricePerImage,
  type BatchRequest,
  type BatchView,
  type Priority,
} from '@darkroom/core';
import { jobViewInclude, lifecycle, queuePlacesOf, toJobView, type ResolvedInputs } from '@darkroom/db';
import { currentTraceParent } from '@darkroom/telemetry';
import { jobsCreated } from '../metrics.js';
import { assertWebhookTarget } from '../webhooks/service.js';
import { assertInCatalogs } from '../models/service.js';
import { assertSubmittable } from './checks.js';
import { assertInputsSupported, resolveInputs } from './inputs.js';
import { jobIdForIdempotencyKey } from './idempotency.js';
import type { ServiceOptions, SubmitOptions } from './options.js';
import { assertStartMeetable } from './schedule.js';

/**
 * Every request is validated before anything is written, and the jobs go in in one transaction, one
 * accept statement each. A request whose idempotency key was used before returns that earlier job
 * instead of a new one.
 */
export async function createBatch({
  db,
  user,
  settings,
  limits,
  input,
}: SubmitOptions & { input: BatchRequest }): Promise<BatchView> {
  input.requests.forEach((request, index) => {
    assertSubmittable(settings, user, request, `requests.${index}.`);
    assertInputsSupported(settings, request, `requests.${index}.`);
  });
  await assertInCatalogs(
    db,
    input.requests.map((request, index) => ({ request, prefix: `requests.${index}.` })),
  );
  const keys = input.requests.map((request) => request.idempotencyKey).filter((key): key is string => Boolean(key));
  if (new Set(keys).size !== keys.length) {
    throw new DomainError('BAD_INPUT', 'two requests in one batch share an idempotencyKey', { field: 'requests' });
  }
  const inputs: (ResolvedInputs | null)[] = [];
  for (const [index, request] of input.requests.entries())
    inputs.push(await resolveInputs({ db, user, request, prefix: `requests.${index}.` }));
  // Each as if submitted alone (the batch's own jobs ahead of it are not counted): before anything is written.
  for (const [index, request] of input.requests.entries())
    await assertStartMeetable(db, user.id, request, `requests.${index}.`);
  await limits.consumeSubmits(user.id, input.requests.length);
  // One check per distinct URL, however many requests name it, all before anything is written.
  const webhookUrls = new Map<string, number>();
  input.requests.forEach(
    (request, index) =>
      request.webhookUrl && !webhookUrls.has(request.webhookUrl) && webhookUrls.set(request.webhookUrl, index),
  );
  await Promise.all(
    [...webhookUrls].map(([url, index]) =>
      assertWebhookTarget({ db, user, settings, url, field: `requests.${index}.webhookUrl` }),
    ),
  );
  const batchId = randomUUID();
  const created = await db.$transaction(async (tx) => {
    // All or nothing for credits too: the whole batch's cost is checked before any job is inserted.
    const [balance] = await tx.$queryRaw<
      { credit_balance: number }[]
    >`select credit_balance from users where id = ${user.id}::uuid for update`;
    const cost = input.requests.reduce(
      (sum, request) =>
        sum +
        request.numImages *
          pricePerImage(settings.prices, {
            provider: request.provider,
            quality: request.quality,
            model: request.model,
            kind: kindOf(request.inputs),
          }),
      0,
    );
    if ((balance?.credit_balance ?? 0) < cost) {
      throw new DomainError(
        'INSUFFICIENT_CREDITS',
        `this batch needs ${cost} credits and the balance is ${balance?.credit_balance ?? 0}`,
        {
          balance: balance?.credit_balance ?? 0,
          cost,
        },
      );
    }
    // Each job goes in as a single submit's would (lifecycle's accept: row, images, event, queue entry,
    // reservation, active-jobs cap), inside this one transaction: a refusal undoes the whole batch.
    const queued: Priority[] = [];
    for (const [index, request] of input.requests.entries()) {
      const requestHash = lifecycle.hashJobRequest(request);
      // A request already made under its idempotency key is not made again.
      if (request.idempotencyKey && (await jobIdForIdempotencyKey(tx, user.id, request.idempotencyKey, requestHash)))
        continue;
      await lifecycle.acceptJob(tx, {
        traceParent: currentTraceParent(),
        userId: user.id,
        request,
        requestHash,
        batchId,
        prices: settings.prices,
        maxActiveJobs: settings.maxActiveJobsPerUser,
        countAhead: false,
        inputs: inputs[index],
      });
      queued.push(request.priority);
    }
    return queued;
  });
  for (const priority of created) jobsCreated.inc({ priority });
  return getBatch({ db, user, batchId });
}

/** A batch and its aggregate progress, for its owner. */
export async function getBatch({ db, user, batchId }: ServiceOptions & { batchId: string }): Promise<BatchView> {
  const jobs = await db.job.findMany({
    where: { batchId, userId: user.id },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    include: jobViewInclude,
  });
  if (jobs.length === 0) throw new DomainError('NOT_FOUND', `batch ${batchId} not found`);
  const places = await queuePlacesOf(db, jobs);
  const views = jobs.map((job) => toJobView(job, places.get(job.id)!));
  const counts = { queued: 0, running: 0, succeeded: 0, failed: 0, canceled: 0 };
  for (const view of views) counts[view.status]++;
  const images = views.flatMap((view) => view.images);
  const total = images.length;
  const settled = views.reduce((sum, view) => sum + (view.progress * view.numImages) / 100, 0);
  return {
    batchId,
    jobs: views,
    counts,
    images: {
      total,
      succeeded: images.filter((image) => image.status === 'succeeded').length,
      failed: images.filter((image) => image.status === 'failed').length,
    },
    progress: total ? Math.floor((settled / total) * 100) : 0,
    done: views.every((view) => isTerminalStatus(view.status)),
  };
}
