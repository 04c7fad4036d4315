/**
 * One image of a run: its attempts at the provider (retried per the image retry policy, moved to the
 * next provider in the fallback order when its own is down), then storing what was paid for.
 */
import {
  buildNegativePrompt,
  decideRetry,
  IMAGE_RETRY,
  jobEvent,
  ModerationLevel,
  moderationWithin,
  OutputFormat,
  PROVIDER_KINDS,
  providersForKind,
  Quality,
  type ErrorCode,
  type JobKind,
  type JobReference,
  type Preset,
  type ProviderName,
} from '@darkroom/core';
import { JobEndedError, SupersededError, type Db, type Image, type Job, type Tx, execHot } from '@darkroom/db';
import { encodeAs } from '@darkroom/storage';
import { isProviderError, type GenerateRequest, type GeneratedImage } from '@darkroom/providers';
import { activeSpan, ATTR, markFailed, withAttempt } from '@darkroom/telemetry';
import { imageDuration, providerLatency, providerRequests } from '../metrics.js';
import type { PipelineDeps } from './deps.js';
import { engineOptionsOfJob } from './engine-options.js';
import { instanceHost } from '../engine-status.js';
import { describeFailure, sleep } from './failure.js';
import { inputsForImage, type RunInputs } from './inputs.js';
import { IMAGE_STARTED } from './hot.js';
import { storeImage } from './store.js';
import { imageProgress, type ImageProgress } from './progress.js';
import { handsBack, type RunWatch } from './watch.js';

/** Failures that say the provider, not the request, is the trouble: worth trying the next provider. */
const PROVIDER_DOWN_CODES: readonly ErrorCode[] = ['transient', 'timeout', 'rate_limited', 'auth', 'quota_exhausted'];

export interface ImageRun {
  job: Job;
  image: Image;
  providerName: string;
  references: JobReference[];
  /** The job's image inputs with their bytes (run/inputs.ts); null for text-to-image. */
  inputs?: RunInputs | null;
  watch: RunWatch;
}

export async function generateImage(
  deps: PipelineDeps,
  { job, image, providerName, references, inputs = null, watch }: ImageRun,
) {
  const { db, log } = deps;
  const { signal } = watch;
  const policy = {
    ...(deps.imageRetry ?? IMAGE_RETRY),
    ...(deps.maxImageAttempts !== undefined ? { maxAttempts: deps.maxImageAttempts } : {}),
  };
  // A request recorded by an earlier run (a worker that crashed while waiting) is resumed, not paid twice.
  let requestId = image.providerRequestId;
  let provider = deps.providerFor(providerName);
  const tried = new Set([providerName, job.provider, provider.name]);
  let attemptsHere = 0;
  const outputFormat = OutputFormat.catch('png').parse(job.outputFormat);
  const quality = Quality.safeParse(job.quality).data;
  const moderation = runModeration(deps, job);
  const reporters: (ImageProgress | null)[] = [];
  try {
    return await attempts();
  } finally {
    // An image that ends without being stored (failed, canceled, handed back) drops its preview too; a
    // stored one dropped it in the same statement.
    const previewed = await Promise.all(reporters.map((reporter) => reporter?.close() ?? false));
    if (previewed.some(Boolean)) {
      await db.imagePreview.deleteMany({ where: { imageId: image.id } }).catch((error: unknown) => {
        log.warn({ err: error, jobId: job.id }, 'could not drop a preview');
      });
    }
  }

  async function attempts(): Promise<void> {
    for (let attempt = image.attempts + 1; ; attempt++) {
      attemptsHere++;
      const attemptOnce = async () => {
        const startedAt = new Date();
        if ((await execHot(db, IMAGE_STARTED, [image.id, attempt, startedAt])) === 0)
          throw new Error(`image ${image.id} is gone`);
        let lastStatus = '';
        let statusWrites = Promise.resolve();
        const progress = deps.previews
          ? imageProgress({
              db,
              log,
              jobId: job.id,
              imageId: image.id,
              numImages: job.numImages,
              settings: deps.previews,
            })
          : null;
        reporters.push(progress);
        const request: GenerateRequest = {
          prompt: image.prompt ?? job.prompt,
          negativePrompt: buildNegativePrompt(job.preset as Preset, job.negativePrompt),
          preset: job.preset as Preset,
          ...(job.style ? { style: job.style } : {}),
          ...(quality ? { quality } : {}),
          width: job.width,
          height: job.height,
          seed: image.seed ?? 0,
          // Only the job's own provider was asked for this model; a fallback runs its default.
          ...(job.model && provider.name === job.provider ? { model: job.model } : {}),
          ...(provider.name === job.provider ? engineOptionsOfJob(job) : {}),
          attempt,
          jobId: job.id,
          signal,
          ...(provider.capabilities.imageConditioning && references.length > 0
            ? { references: references.map(({ palette, tags }) => ({ palette, tags })) }
            : {}),
          outputFormat,
          moderation,
          kind: (inputs?.kind ?? 'text-to-image') as JobKind,
          ...(inputs ? { inputs: inputsForImage(inputs, image.index) } : {}),
          // A queued vendor need not start the work once the run can no longer use it.
          ...(job.deadline ? { startBy: job.deadline } : {}),
          ...(progress ? { onProgress: progress.onProgress, onPreview: progress.onPreview } : {}),
          // Host only (never a URL's credentials), off the provider's path like the vendor status.
          onInstance: (url) => {
            statusWrites = statusWrites.then(() =>
              db.image.update({ where: { id: image.id }, data: { engineInstance: instanceHost(url) } }).then(
                () => undefined,
                (error: unknown) => log.warn({ err: error, jobId: job.id }, 'could not record the engine instance'),
              ),
            );
          },
          onVendorStatus: (status) => {
            const said = JSON.stringify(status);
            if (said === lastStatus) return;
            lastStatus = said;
            // In order, off the provider's path: a failed write costs a timeline entry, never the image.
            statusWrites = statusWrites.then(() =>
              db.jobEvent
                .create({
                  data: {
                    jobId: job.id,
                    ...jobEvent('provider_status', { index: image.index, provider: provider.name, ...status }),
                  },
                })
                .then(
                  () => undefined,
                  (error: unknown) => log.warn({ err: error, jobId: job.id }, 'could not record the provider status'),
                ),
            );
          },
        };
        // The image's started_at and duration_ms end up describing the vendor call itself (the time it
        // held a slot), so they are taken inside the slot; the running write above comes before any wait.
        let callStartedAt = startedAt;
        let callMs = 0;
        const call = () =>
          timedCall(provider.name, async () => {
            callStartedAt = new Date();
            try {
              if (!provider.submit || !provider.resume) return await provider.generate(request);
              if (!requestId) {
                requestId = await provider.submit(request);
                // Written BEFORE waiting: a worker that takes this image over resumes this very request.
                await db.image.update({ where: { id: image.id }, data: { providerRequestId: requestId } });
              }
              return await provider.resume(requestId, request);
            } finally {
              callMs = Date.now() - callStartedAt.getTime();
            }
          });
        let result: GeneratedImage;
        try {
          // A slot bounds the calls in flight at the vendor, so only the call holds one: it is released
          // as soon as the vendor answers, and our own encoding and storing below run without it.
          // Slots and rates belong to the adapter that really makes the call.
          // The vendor-call spans made inside say which attempt they belong to.
          result = await withAttempt(attempt, () =>
            deps.gate ? deps.gate.withSlot(provider.name, signal, call) : call(),
          );
        } finally {
          await statusWrites;
          // Nothing the engine says after its answer is news; the stored image (or the failure) is.
          await progress?.close();
        }
        // Stored in the format the job asked for, whatever the vendor made; the key says which.
        const bytes = await encodeAs(result.bytes, result.mime, outputFormat);
        // Paid for: from here on a failure retries the store, never the vendor.
        await storeImage(deps, { job, image, result, bytes, outputFormat, callStartedAt, callMs });
        const finishedAt = new Date();
        imageDuration.observe({ provider: provider.name }, (finishedAt.getTime() - startedAt.getTime()) / 1000);
      };
      activeSpan()?.setAttribute(ATTR.imageAttempt, attempt);
      try {
        await attemptOnce();
        return;
      } catch (error) {
        if (error instanceof SupersededError || error instanceof JobEndedError) throw error;
        const failure = describeFailure(error, signal);
        if (failure.code === 'internal')
          log.error({ jobId: job.id, index: image.index, err: error }, 'image failed inside Darkroom');
        if (isProviderError(error) && error.requestEnded && requestId) {
          // The vendor's request is over; the next attempt (or a later run) must submit a new one.
          requestId = null;
          await db.image.update({ where: { id: image.id }, data: { providerRequestId: null } });
        }
        if (failure.code === 'canceled') {
          activeSpan()?.addEvent('image.stop', { reason: watch.reason() ?? 'canceled' });
          return stopImage(db, image.id, watch);
        }
        const retry = decideRetry(policy, {
          attempts: attemptsHere,
          retryable: failure.retryable,
          ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
        });
        if (retry.retry) {
          const { delayMs } = retry;
          await db.jobEvent.create({
            data: {
              jobId: job.id,
              ...jobEvent('retry_scheduled', { index: image.index, attempt, delayMs, reason: failure.code }),
            },
          });
          log.info(
            { jobId: job.id, index: image.index, attempt, delayMs, code: failure.code },
            'image will be retried',
          );
          activeSpan()?.addEvent('image.retry', {
            [ATTR.imageAttempt]: attempt,
            delayMs,
            [ATTR.errorType]: failure.code,
          });
          if (await sleep(delayMs, signal)) continue;
          return stopImage(db, image.id, watch);
        }
        const affordable = (name: string) =>
          !deps.priceOf || deps.priceOf(name, job.quality, job.kind) <= job.creditPrice;
        // Only a provider that can do the job's kind (with its references) may take the image over.
        const able = (name: string) =>
          job.kind === 'text-to-image' ||
          (name in PROVIDER_KINDS &&
            providersForKind(job.kind as JobKind, inputs?.references.length ?? 0, [name as ProviderName]).length > 0);
        const next = PROVIDER_DOWN_CODES.includes(failure.code)
          ? deps.fallbackOrder?.find((name) => !tried.has(name) && affordable(name) && able(name))
          : undefined;
        if (next) {
          // The provider is down for us: the image moves to the next one, with a fresh attempt budget.
          tried.add(next);
          await db.$transaction([
            db.image.update({ where: { id: image.id }, data: { provider: next, providerRequestId: null } }),
            db.jobEvent.create({
              data: {
                jobId: job.id,
                ...jobEvent('provider_fallback', {
                  index: image.index,
                  from: providerName,
                  to: next,
                  reason: failure.code,
                }),
              },
            }),
          ]);
          log.warn(
            { jobId: job.id, index: image.index, from: providerName, to: next, code: failure.code },
            'provider down; falling back',
          );
          activeSpan()?.addEvent('provider.fallback', { from: providerName, to: next, [ATTR.errorType]: failure.code });
          providerName = next;
          provider = deps.providerFor(next);
          requestId = null;
          attemptsHere = 0;
          continue;
        }
        await db.$transaction(async (tx) => {
          await tx.image.update({
            where: { id: image.id },
            data: { status: 'failed', errorCode: failure.code, errorMessage: failure.message, finishedAt: new Date() },
          });
          await tx.jobEvent.create({
            data: {
              jobId: job.id,
              ...jobEvent('image_failed', { index: image.index, code: failure.code, message: failure.message }),
            },
          });
          await raiseProgress(tx, job.id, job.numImages);
        });
        const span = activeSpan();
        if (span) markFailed(span, failure.code);
        return;
      }
    }
  }
}

/**
 * An image whose run stopped under it: canceled when the job was canceled or timed out; back to
 * pending when the worker shuts down or the run broke, so the next run makes it (a SIGKILL after this
 * write must not leave it canceled on a job that is still running).
 */
async function stopImage(db: Db, imageId: string, watch: RunWatch): Promise<void> {
  if (handsBack(watch.reason())) {
    await db.image.update({ where: { id: imageId }, data: { status: 'pending', startedAt: null } });
    return;
  }
  await db.image.update({ where: { id: imageId }, data: { status: 'canceled', finishedAt: new Date() } });
}

/** A provider call, counted by outcome (ok or the error's code) and timed, for Prometheus. */
async function timedCall<T>(provider: string, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const result = await call();
    providerRequests.inc({ provider, outcome: 'ok' });
    return result;
  } catch (error) {
    providerRequests.inc({ provider, outcome: isProviderError(error) ? error.code : 'internal' });
    throw error;
  } finally {
    providerLatency.observe({ provider }, (performance.now() - started) / 1000);
  }
}

/**
 * Progress is the mean of the images' (a done one, either way, counts 100; a running one its step
 * progress); it never goes down.
 */
async function raiseProgress(tx: Tx, jobId: string, numImages: number) {
  await tx.$executeRaw`
    update jobs set progress = greatest(progress, least(99, (
        select coalesce(sum(case when status in ('succeeded', 'failed') then 100 else progress end), 0)
        from images where job_id = ${jobId}::uuid) / ${numImages}::int)), updated_at = now()
    where id = ${jobId}::uuid`;
}

/** The level a job's vendor calls use: what it asked for, raised to this worker's MODERATION_MIN. */
export function runModeration(deps: Pick<PipelineDeps, 'moderationMin'>, job: Pick<Job, 'moderation'>) {
  return moderationWithin(ModerationLevel.catch('standard').parse(job.moderation), deps.moderationMin ?? 'standard');
}
