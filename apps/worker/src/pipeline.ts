/**
 * One job's run on a worker: queued -> running(references -> prompts -> generating) -> terminal.
 *
 * Every step is written to the database before the next begins, so a run that dies half-way resumes
 * where it stopped: images already stored are neither regenerated nor stored twice.
 */
import { buildImagePrompt, buildNegativePrompt, imageSeed, isTerminalStatus, randomSeed, type ErrorCode, type JobError, type Preset } from '@darkroom/core';
import type { Db, Image, Job } from '@darkroom/db';
import { isProviderError, type ImageProvider } from '@darkroom/providers';
import { imageKey, type ImageStorage } from '@darkroom/storage';
import type { Logger } from 'pino';

export interface PipelineDeps {
  db: Db;
  storage: ImageStorage;
  providerFor: (name: string) => ImageProvider;
  log: Logger;
  /** Recorded on the job's `started` event, so the timeline says who ran it. */
  workerId: string;
  /** Images of one job generated at once. */
  imageConcurrency: number;
  /** Tries per image for errors that may pass (transient, timeout, rate limited). */
  maxImageAttempts?: number;
  /** How often a running job checks whether it was canceled, in ms. */
  cancelCheckMs?: number;
}

export async function runJob(deps: PipelineDeps, jobId: string): Promise<void> {
  const { db, log } = deps;
  const job = await db.job.findUnique({ where: { id: jobId } });
  if (!job) {
    log.warn({ jobId }, 'job row not found; nothing to run');
    return;
  }
  if (isTerminalStatus(job.status)) return;
  if (job.cancelRequestedAt) {
    await finishJob(deps, job.id);
    return;
  }

  const started = await markRunning(db, job, deps.workerId);
  const cancel = watchForCancel(deps, job.id);
  try {
    await setStage(db, job.id, 'references');
    // Reference search arrives with the job-semantics work; until then there is nothing to find.
    await setStage(db, job.id, 'prompts');
    const images = await preparePrompts(db, started);
    await setStage(db, job.id, 'generating');
    const provider = deps.providerFor(job.provider);
    const todo = images.filter((image) => image.status !== 'succeeded' && image.status !== 'canceled');
    await forEachLimited(todo, deps.imageConcurrency, async (image) => {
      if (cancel.signal.aborted) return;
      await generateImage(deps, { job: started, image, provider, signal: cancel.signal });
    });
  } finally {
    cancel.stop();
  }
  await finishJob(deps, job.id);
}

async function markRunning(db: Db, job: Job, workerId: string): Promise<Job> {
  return db.$transaction(async (tx) => {
    const updated = await tx.job.update({
      where: { id: job.id },
      data: {
        status: 'running',
        startedAt: job.startedAt ?? new Date(),
        attempts: { increment: 1 },
        // A job without a seed gets one now, so a resumed run draws the same images.
        seed: job.seed ?? randomSeed(),
      },
    });
    await tx.jobEvent.create({
      data: { jobId: job.id, type: 'started', data: { attempt: updated.attempts, resumed: job.status === 'running', workerId } },
    });
    return updated;
  });
}

async function setStage(db: Db, jobId: string, stage: 'references' | 'prompts' | 'generating' | 'storing') {
  await db.$transaction([
    db.job.update({ where: { id: jobId }, data: { stage } }),
    db.jobEvent.create({ data: { jobId, type: 'stage', data: { stage } } }),
  ]);
}

/** Writes each image's exact prompt and seed before anything is generated. */
async function preparePrompts(db: Db, job: Job): Promise<Image[]> {
  const prompt = buildImagePrompt({ preset: job.preset as Preset, prompt: job.prompt, style: job.style });
  const images = await db.image.findMany({ where: { jobId: job.id }, orderBy: { index: 'asc' } });
  return Promise.all(
    images.map((image) =>
      image.prompt !== null
        ? image
        : db.image.update({ where: { id: image.id }, data: { prompt, seed: imageSeed(job.seed ?? 0, image.index) } }),
    ),
  );
}

interface ImageRun {
  job: Job;
  image: Image;
  provider: ImageProvider;
  signal: AbortSignal;
}

async function generateImage(deps: PipelineDeps, { job, image, provider, signal }: ImageRun) {
  const { db, storage, log } = deps;
  const maxAttempts = deps.maxImageAttempts ?? 3;
  for (let attempt = image.attempts + 1; ; attempt++) {
    const startedAt = new Date();
    await db.image.update({ where: { id: image.id }, data: { status: 'running', attempts: attempt, startedAt } });
    try {
      const result = await provider.generate({
        prompt: image.prompt ?? job.prompt,
        negativePrompt: buildNegativePrompt(job.preset as Preset, job.negativePrompt),
        preset: job.preset as Preset,
        ...(job.style ? { style: job.style } : {}),
        width: job.width,
        height: job.height,
        seed: image.seed ?? 0,
        attempt,
        signal,
      });
      const key = imageKey(job.id, image.index, 'png');
      await storage.put(key, result.bytes, result.mime);
      const finishedAt = new Date();
      await db.$transaction(async (tx) => {
        await tx.image.update({
          where: { id: image.id },
          data: {
            status: 'succeeded',
            storageKey: key,
            mime: result.mime,
            width: result.width,
            height: result.height,
            bytes: result.bytes.length,
            providerRequestId: result.providerRequestId,
            finishedAt,
            durationMs: finishedAt.getTime() - startedAt.getTime(),
            errorCode: null,
            errorMessage: null,
          },
        });
        await tx.jobEvent.create({ data: { jobId: job.id, type: 'image_succeeded', data: { index: image.index } } });
        await raiseProgress(tx, job.id, job.numImages);
      });
      return;
    } catch (error) {
      const failure = describeFailure(error, signal);
      if (failure.code === 'canceled') {
        await db.image.update({ where: { id: image.id }, data: { status: 'canceled', finishedAt: new Date() } });
        return;
      }
      if (failure.retryable && attempt < maxAttempts) {
        const delayMs = retryDelay(attempt, failure.retryAfterMs);
        await db.jobEvent.create({
          data: { jobId: job.id, type: 'retry_scheduled', data: { index: image.index, attempt, delayMs, reason: failure.code } },
        });
        log.info({ jobId: job.id, index: image.index, attempt, delayMs, code: failure.code }, 'image will be retried');
        if (await sleep(delayMs, signal)) continue;
        await db.image.update({ where: { id: image.id }, data: { status: 'canceled', finishedAt: new Date() } });
        return;
      }
      await db.$transaction(async (tx) => {
        await tx.image.update({
          where: { id: image.id },
          data: { status: 'failed', errorCode: failure.code, errorMessage: failure.message, finishedAt: new Date() },
        });
        await tx.jobEvent.create({
          data: { jobId: job.id, type: 'image_failed', data: { index: image.index, code: failure.code, message: failure.message } },
        });
        await raiseProgress(tx, job.id, job.numImages);
      });
      return;
    }
  }
}

/** Progress is the share of images that are done either way; it never goes down. */
async function raiseProgress(tx: Parameters<Parameters<Db['$transaction']>[0]>[0], jobId: string, numImages: number) {
  const done = await tx.image.count({ where: { jobId, status: { in: ['succeeded', 'failed'] } } });
  const progress = Math.min(99, Math.floor((done / numImages) * 100));
  await tx.$executeRaw`update jobs set progress = greatest(progress, ${progress}::int), updated_at = now() where id = ${jobId}::uuid`;
}

/** The terminal status from what the images became, written with the job's last event. */
async function finishJob(deps: PipelineDeps, jobId: string) {
  const { db } = deps;
  await db.$transaction(async (tx) => {
    const job = await tx.job.findUniqueOrThrow({ where: { id: jobId }, include: { images: true } });
    if (isTerminalStatus(job.status)) return;
    // Images never started (cancel arrived first) end as canceled, not pending forever.
    await tx.image.updateMany({ where: { jobId, status: { in: ['pending', 'running'] } }, data: { status: 'canceled' } });
    const succeeded = job.images.filter((image) => image.status === 'succeeded').length;
    const failed = job.images.filter((image) => image.status === 'failed');
    let status: 'succeeded' | 'failed' | 'canceled';
    let error: JobError | null = null;
    if (job.cancelRequestedAt) {
      status = 'canceled';
    } else if (succeeded > 0) {
      status = 'succeeded';
    } else {
      status = 'failed';
      const first = failed[0];
      error = first
        ? { code: (first.errorCode ?? 'internal') as ErrorCode, message: `no image was produced: ${first.errorMessage ?? 'unknown error'}`, retryable: false }
        : { code: 'internal', message: 'no image was produced', retryable: false };
    }
    await tx.job.update({
      where: { id: jobId },
      data: {
        status,
        stage: null,
        finishedAt: new Date(),
        ...(status === 'succeeded' ? { progress: 100 } : {}),
        errorCode: error?.code ?? null,
        errorMessage: error?.message ?? null,
        errorRetryable: error?.retryable ?? null,
      },
    });
    await tx.jobEvent.create({ data: { jobId, type: 'finished', data: { status, succeeded, failed: failed.length } } });
  });
}

/** Ends a job that cannot run at all (bad payload, retries exhausted) with one clear error. */
export async function failJob(db: Db, jobId: string, error: JobError): Promise<void> {
  await db.$transaction(async (tx) => {
    const job = await tx.job.findUnique({ where: { id: jobId }, select: { status: true } });
    if (!job || isTerminalStatus(job.status)) return;
    await tx.image.updateMany({ where: { jobId, status: { in: ['pending', 'running'] } }, data: { status: 'canceled' } });
    await tx.job.update({
      where: { id: jobId },
      data: { status: 'failed', stage: null, finishedAt: new Date(), errorCode: error.code, errorMessage: error.message, errorRetryable: error.retryable },
    });
    await tx.jobEvent.create({ data: { jobId, type: 'finished', data: { status: 'failed', code: error.code } } });
  });
}

interface Failure {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
}

function describeFailure(error: unknown, signal: AbortSignal): Failure {
  if (signal.aborted) return { code: 'canceled', message: 'canceled', retryable: false };
  if (isProviderError(error)) {
    return {
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    };
  }
  // Not the provider's answer (storage full, a bug): fail the image plainly rather than loop.
  return { code: 'internal', message: (error as Error)?.message ?? String(error), retryable: false };
}

/** Exponential backoff with full jitter, or the provider's retry-after when it gave one. */
function retryDelay(attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return retryAfterMs;
  return Math.random() * Math.min(30_000, 500 * 2 ** (attempt - 1));
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Aborts `signal` once someone asks for the job to be canceled (checked every `cancelCheckMs`). */
function watchForCancel(deps: PipelineDeps, jobId: string) {
  const controller = new AbortController();
  const timer = setInterval(async () => {
    try {
      const job = await deps.db.job.findUnique({ where: { id: jobId }, select: { cancelRequestedAt: true } });
      if (job?.cancelRequestedAt) controller.abort();
    } catch (error) {
      deps.log.warn({ jobId, err: error }, 'cancel check failed');
    }
  }, deps.cancelCheckMs ?? 500);
  timer.unref();
  return { signal: controller.signal, stop: () => clearInterval(timer) };
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(lanes);
}
