/**
 * One job's run on a worker: queued -> running(references -> prompts -> generating) -> terminal.
 *
 * Every step is written to the database before the next begins, so a run that dies half-way resumes
 * where it stopped: images already stored are neither regenerated nor stored twice.
 */
import { buildImagePrompt, buildNegativePrompt, imageSeed, isTerminalStatus, OutputFormat, Quality, randomSeed, type ErrorCode, type JobError, type JobReference, type Preset } from '@darkroom/core';
import { enqueueJobWebhook, settleJobCredits, WEBHOOK_DELIVERY_MAX_ATTEMPTS, type Db, type Image, type Job, type JobChangeFeed } from '@darkroom/db';
import { findReferences } from './references.js';
import { DETACH, isProviderError, paletteOf, type GenerateRequest, type GeneratedImage, type ImageProvider } from '@darkroom/providers';
import { encodeAs, formatInfo, imageKey, makeThumbnail, thumbnailKey, type ImageStorage } from '@darkroom/storage';
import type { Logger } from 'pino';
import { imageDuration, jobDuration, jobsFinished, providerLatency, providerRequests } from './metrics.js';
import type { ProviderGate } from './provider-gate.js';

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
  /**
   * How often a running job checks whether it was canceled, in ms. Default 5000 with `jobChanges` (the
   * check is then only the safety net for a missed notification), 500 without.
   */
  cancelCheckMs?: number;
  /** Job changes announced by Postgres: a cancel is heard at once instead of at the next check. */
  jobChanges?: JobChangeFeed;
  /** Running jobs one user may have at once across all workers; 0 = no cap. Default 0. */
  maxRunningPerUser?: number;
  /** Per-provider concurrency and rate limits shared by all workers. Default: none. */
  gate?: ProviderGate;
  /** Aborted when the worker starts shutting down: runs start no new image and hand the rest back. */
  drainSignal?: AbortSignal;
  /** Aborted when the shutdown grace period is over: images in flight are abandoned too. */
  shutdownSignal?: AbortSignal;
  /**
   * Providers tried in order when an image's provider is down (its attempts ended in one of
   * PROVIDER_DOWN_CODES). Default none.
   */
  fallbackOrder?: readonly string[];
  /**
   * What an image costs on a provider (CREDIT_PRICES): a fallback that costs more than the job's price
   * (fixed at submit, what the caller agreed to) is skipped. Default: every fallback is allowed.
   */
  priceOf?: (provider: string, quality: string | null) => number;
  /**
   * Called when a run finds another worker has claimed its job (`SupersededError`): this worker was
   * declared dead, so it must stop as a whole, as it does when its heartbeat finds its row gone.
   */
  onSuperseded?: (error: SupersededError) => void;
}

/**
 * What became of a run: the job ended (or was already over); it must wait for its owner's cap; or this
 * worker is shutting down and handed the job back to the queue for another.
 */
export type RunOutcome = { kind: 'finished' } | { kind: 'deferred'; queueRank: number } | { kind: 'released'; queueRank: number };

/**
 * This run's claim on the job is gone: another worker claimed the job since (its `attempts` moved on),
 * which only happens once this worker was declared dead after a silence. The run must stop at once and
 * write nothing more, not even to graphile-worker's queue entry, which the other worker now holds.
 *
 * The fence is the job's `attempts`, raised by every claim: the writes that decide an outcome (an image
 * stored, the job's end, the job handed back) happen only while it still equals this run's attempt.
 */
export class SupersededError extends Error {
  constructor(jobId: string, attempt: number) {
    super(`job ${jobId}: another worker claimed it after this run's attempt ${attempt} (this worker was declared dead); stopping without writing`);
    this.name = 'SupersededError';
  }
}

export async function runJob(deps: PipelineDeps, jobId: string): Promise<RunOutcome> {
  const { db } = deps;
  const claim = await claimStart(deps, jobId);
  if (claim.kind === 'deferred') return claim;
  if (claim.kind === 'over') return { kind: 'finished' };
  const started = claim.job;
  const stop = watchRun(deps, started);
  // Images this worker did not start because it is shutting down.
  let leftForOthers = false;
  try {
    // The claim entered the references stage; each stage's write also enters the next one.
    const references = await chooseReferences(deps, started);
    const images = await preparePrompts(db, started);
    const runsOn = deps.providerFor(started.provider).name;
    if (runsOn !== started.provider) {
      // PROVIDER_DEFAULT stands in for a provider this deployment does not run; the timeline says so.
      await db.jobEvent.create({
        data: { jobId, type: 'warning', data: { stage: 'generating', message: `provider ${started.provider} is not enabled here; ${runsOn} makes the images` } },
      });
    }
    const todo = images.filter((image) => image.status !== 'succeeded' && image.status !== 'canceled');
    await forEachLimited(todo, deps.imageConcurrency, async (image) => {
      if (stop.signal.aborted) return;
      if (deps.drainSignal?.aborted) {
        leftForOthers = true;
        return;
      }
      // An image a fallback provider took over stays with it: its recorded request id is that provider's.
      const providerName = image.provider ?? started.provider;
      await generateImage(deps, { job: started, image, providerName, references, signal: stop.signal });
    });
  } finally {
    stop.stop();
  }
  if (stop.reason() === 'shutdown' || (leftForOthers && stop.reason() === null)) return releaseJob(deps, started);
  await finishJob(deps, jobId, stop.reason(), started.attempts);
  return { kind: 'finished' };
}

/**
 * Puts a job this worker could not finish before shutting down back in the queue, keeping its stored
 * images. A job whose cancel arrived meanwhile is finished (canceled) instead: nobody wants it resumed.
 */
async function releaseJob(deps: PipelineDeps, job: Job): Promise<RunOutcome> {
  const released = await deps.db.$transaction(async (tx) => {
    await tx.$queryRaw`select id from jobs where id = ${job.id}::uuid for update`;
    const current = await tx.job.findUniqueOrThrow({ where: { id: job.id }, select: { cancelRequestedAt: true, attempts: true } });
    if (current.attempts !== job.attempts) throw new SupersededError(job.id, job.attempts);
    if (current.cancelRequestedAt) return false;
    await tx.image.updateMany({ where: { jobId: job.id, status: { in: ['running', 'canceled'] } }, data: { status: 'pending', startedAt: null, finishedAt: null } });
    await tx.job.update({ where: { id: job.id }, data: { status: 'queued', stage: null } });
    await tx.jobEvent.create({ data: { jobId: job.id, type: 'released', data: { workerId: deps.workerId, reason: 'worker shutting down' } } });
    return true;
  });
  if (released) return { kind: 'released', queueRank: job.queueRank };
  await finishJob(deps, job.id, 'canceled', job.attempts);
  return { kind: 'finished' };
}

type Claim = { kind: 'run'; job: Job } | { kind: 'deferred'; queueRank: number } | { kind: 'over' };

/**
 * Decides, in one transaction with the job row locked, whether this run may start: the job is still
 * queued (or running, after a crash), its start deadline has not passed, and its owner is under the
 * running cap (checked under a per-user advisory lock, so two workers cannot both take the last place).
 */
async function claimStart(deps: PipelineDeps, jobId: string): Promise<Claim> {
  const { db, log } = deps;
  // One statement (darkroom_claim_job, migrations claim_job and housekeeping_priority): the decision with the row locked, the start, its
  // events and a `job.started` webhook; the claimed row is read after it.
  const [claim] = await db.$queryRaw<{ outcome: 'run' | 'over' | 'finish' | 'fail' | 'deferred'; queue_rank: number | null; start_by: Date | null }[]>`
    select outcome, queue_rank, start_by from darkroom_claim_job(
      ${jobId}::uuid, ${deps.workerId}, ${deps.maxRunningPerUser ?? 0}::int, ${randomSeed()}::int, ${WEBHOOK_DELIVERY_MAX_ATTEMPTS}::int)`;
  switch (claim!.outcome) {
    case 'run': {
      const job = await db.job.findUnique({ where: { id: jobId } });
      // Claimed but gone before the read: only a retention sweep deletes jobs, and only ended ones.
      if (!job) return { kind: 'over' };
      return { kind: 'run', job };
    }
    case 'deferred':
      return { kind: 'deferred', queueRank: claim!.queue_rank! };
    case 'finish':
      await finishJob(deps, jobId, null);
      return { kind: 'over' };
    case 'fail':
      await failJob(db, jobId, { code: 'start_deadline_exceeded', message: `no worker started the job before ${claim!.start_by!.toISOString()}`, retryable: false });
      return { kind: 'over' };
    case 'over':
      if (!(await db.job.count({ where: { id: jobId } }))) log.warn({ jobId }, 'job row not found; nothing to run');
      return { kind: 'over' };
  }
}

/** Enters `stage`: the job's stage and its timeline event, in one statement. */
async function setStage(db: Db, jobId: string, stage: 'references' | 'prompts' | 'generating' | 'storing') {
  await db.$executeRaw`
    with entered as (update jobs set stage = ${stage}::"JobStage", updated_at = now() where id = ${jobId}::uuid returning id)
    insert into job_events (job_id, type, data) select id, 'stage', json_build_object('stage', ${stage}::text)::jsonb from entered`;
}

/**
 * Writes each image's exact prompt and seed before anything is generated, and enters the generating
 * stage, in one statement.
 */
async function preparePrompts(db: Db, job: Job): Promise<Image[]> {
  const prompt = buildImagePrompt({ preset: job.preset as Preset, prompt: job.prompt, style: job.style });
  const images = await db.image.findMany({ where: { jobId: job.id }, orderBy: { index: 'asc' } });
  const unprepared = images.filter((image) => image.prompt === null);
  if (unprepared.length === 0) {
    await setStage(db, job.id, 'generating');
    return images;
  }
  const seeds = unprepared.map((image) => imageSeed(job.seed ?? 0, image.index));
  await db.$executeRaw`
    with prepared as (
      update images set prompt = ${prompt}, seed = given.seed, updated_at = now()
      from unnest(${unprepared.map((image) => image.id)}::uuid[], ${seeds}::int[]) as given(id, seed)
      where images.id = given.id),
    entered as (update jobs set stage = 'generating', updated_at = now() where id = ${job.id}::uuid returning id)
    insert into job_events (job_id, type, data) select id, 'stage', '{"stage":"generating"}'::jsonb from entered`;
  return images.map((image) => (image.prompt !== null ? image : { ...image, prompt, seed: imageSeed(job.seed ?? 0, image.index) }));
}

/**
 * Finds and records the job's references. A failing search must not fail the job: it is recorded as a
 * warning and the job goes on without references.
 */
async function chooseReferences(deps: PipelineDeps, job: Job): Promise<JobReference[]> {
  // A resumed run keeps what the first run chose.
  if (Array.isArray(job.references)) {
    await setStage(deps.db, job.id, 'prompts');
    return job.references as unknown as JobReference[];
  }
  let references: JobReference[] = [];
  try {
    references = await findReferences(deps.db, job);
  } catch (error) {
    deps.log.warn({ jobId: job.id, err: error }, 'reference search failed; going on without references');
    await deps.db.jobEvent.create({
      // The reason stays in the log: the owner reads events, and a driver's message names hosts and SQL.
      data: { jobId: job.id, type: 'warning', data: { stage: 'references', message: 'reference search failed; going on without references' } },
    });
  }
  // The choice and the next stage in one statement.
  await deps.db.$executeRaw`
    with entered as (
      update jobs set "references" = ${JSON.stringify(references)}::jsonb, stage = 'prompts', updated_at = now()
      where id = ${job.id}::uuid returning id)
    insert into job_events (job_id, type, data) select id, 'stage', '{"stage":"prompts"}'::jsonb from entered`;
  return references;
}

/** Failures that say the provider, not the request, is the trouble: worth trying the next provider. */
const PROVIDER_DOWN_CODES: readonly ErrorCode[] = ['transient', 'timeout', 'rate_limited', 'auth', 'quota_exhausted'];

interface ImageRun {
  job: Job;
  image: Image;
  providerName: string;
  references: JobReference[];
  signal: AbortSignal;
}

async function generateImage(deps: PipelineDeps, { job, image, providerName, references, signal }: ImageRun) {
  const { db, storage, log } = deps;
  const maxAttempts = deps.maxImageAttempts ?? 3;
  // A request recorded by an earlier run (a worker that crashed while waiting) is resumed, not paid twice.
  let requestId = image.providerRequestId;
  let provider = deps.providerFor(providerName);
  const tried = new Set([providerName, job.provider, provider.name]);
  let attemptsHere = 0;
  const outputFormat = OutputFormat.catch('png').parse(job.outputFormat);
  const quality = Quality.safeParse(job.quality).data;
  for (let attempt = image.attempts + 1; ; attempt++) {
    attemptsHere++;
    const attemptOnce = async () => {
      const startedAt = new Date();
      await db.image.update({ where: { id: image.id }, data: { status: 'running', attempts: attempt, startedAt } });
      let lastStatus = '';
      let statusWrites = Promise.resolve();
      const request: GenerateRequest = {
        prompt: image.prompt ?? job.prompt,
        negativePrompt: buildNegativePrompt(job.preset as Preset, job.negativePrompt),
        preset: job.preset as Preset,
        ...(job.style ? { style: job.style } : {}),
        ...(quality ? { quality } : {}),
        width: job.width,
        height: job.height,
        seed: image.seed ?? 0,
        attempt,
        signal,
        ...(provider.capabilities.imageConditioning && references.length > 0
          ? { references: references.map(({ palette, tags }) => ({ palette, tags })) }
          : {}),
        outputFormat,
        // A queued vendor need not start the work once the run can no longer use it.
        ...(job.deadline ? { startBy: job.deadline } : {}),
        onVendorStatus: (status) => {
          const said = JSON.stringify(status);
          if (said === lastStatus) return;
          lastStatus = said;
          // In order, off the provider's path: a failed write costs a timeline entry, never the image.
          statusWrites = statusWrites.then(() =>
            db.jobEvent
              .create({ data: { jobId: job.id, type: 'provider_status', data: { index: image.index, provider: provider.name, ...status } } })
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
        // Slots and rates belong to the adapter that really makes the call (PROVIDER_DEFAULT may stand in).
        result = await (deps.gate ? deps.gate.withSlot(provider.name, signal, call) : call());
      } finally {
        await statusWrites;
      }
      // Stored in the format the job asked for, whatever the vendor made; the key says which.
      const format = formatInfo(outputFormat);
      const bytes = await encodeAs(result.bytes, result.mime, outputFormat);
      // Keyed by this run (the job's claim count, which the fence checks): no other run ever writes
      // these keys, so deleting them below when fenced out cannot touch another run's image.
      const key = imageKey(job.id, image.index, format.extension, job.attempts);
      await storage.put(key, bytes, format.mime);
      const thumbnail = await storeThumbnail(deps, job.id, image.index, job.attempts, bytes);
      // Kept so this image can steer later jobs (the references stage reads it).
      const palette = await paletteOf(bytes).catch(() => null);
      const finishedAt = new Date();
      // The stored image, its event and the job's progress in one statement. The statement's snapshot
      // does not see its own image update, so this image is counted as done explicitly; progress only
      // goes up, so two images of a job ending together cannot lower it.
      const recorded = await db.$executeRaw`
        with stored as (
          update images set status = 'succeeded', storage_key = ${key}, thumbnail_key = ${thumbnail}, mime = ${format.mime},
            width = ${result.width}::int, height = ${result.height}::int, bytes = ${bytes.length}::int,
            provider_request_id = ${result.providerRequestId}, palette = coalesce(${palette ? JSON.stringify(palette) : null}::jsonb, palette),
            started_at = ${callStartedAt}, finished_at = ${finishedAt}, duration_ms = ${callMs}::int, error_code = null, error_message = null, updated_at = now()
          where id = ${image.id}::uuid and exists (select 1 from jobs where id = ${job.id}::uuid and attempts = ${job.attempts}::int)
          returning job_id),
        event as (insert into job_events (job_id, type, data) select job_id, 'image_succeeded', json_build_object('index', ${image.index}::int)::jsonb from stored)
        update jobs set progress = greatest(progress, least(99, (100 * (1 + (
            select count(*) from images where job_id = ${job.id}::uuid and id <> ${image.id}::uuid and status in ('succeeded', 'failed')
          )) / ${job.numImages}::int)::int)), updated_at = now()
        where id in (select job_id from stored)`;
      if (recorded === 0) {
        // Fenced out: these files are nobody's (the new owner writes under its own run's keys).
        await Promise.allSettled([storage.delete(key), ...(thumbnail ? [storage.delete(thumbnail)] : [])]);
        throw new SupersededError(job.id, job.attempts);
      }
      imageDuration.observe({ provider: provider.name }, (finishedAt.getTime() - startedAt.getTime()) / 1000);
    };
    try {
      await attemptOnce();
      return;
    } catch (error) {
      if (error instanceof SupersededError) throw error;
      const failure = describeFailure(error, signal);
      if (failure.code === 'internal') log.error({ jobId: job.id, index: image.index, err: error }, 'image failed inside Darkroom');
      if (isProviderError(error) && error.requestEnded && requestId) {
        // The vendor's request is over; the next attempt (or a later run) must submit a new one.
        requestId = null;
        await db.image.update({ where: { id: image.id }, data: { providerRequestId: null } });
      }
      if (failure.code === 'canceled') {
        await db.image.update({ where: { id: image.id }, data: { status: 'canceled', finishedAt: new Date() } });
        return;
      }
      if (failure.retryable && attemptsHere < maxAttempts) {
        const delayMs = retryDelay(attempt, failure.retryAfterMs);
        await db.jobEvent.create({
          data: { jobId: job.id, type: 'retry_scheduled', data: { index: image.index, attempt, delayMs, reason: failure.code } },
        });
        log.info({ jobId: job.id, index: image.index, attempt, delayMs, code: failure.code }, 'image will be retried');
        if (await sleep(delayMs, signal)) continue;
        await db.image.update({ where: { id: image.id }, data: { status: 'canceled', finishedAt: new Date() } });
        return;
      }
      const affordable = (name: string) => !deps.priceOf || deps.priceOf(name, job.quality) <= job.creditPrice;
      const next = PROVIDER_DOWN_CODES.includes(failure.code) ? deps.fallbackOrder?.find((name) => !tried.has(name) && affordable(name)) : undefined;
      if (next) {
        // The provider is down for us: the image moves to the next one, with a fresh attempt budget.
        tried.add(next);
        await db.$transaction([
          db.image.update({ where: { id: image.id }, data: { provider: next, providerRequestId: null } }),
          db.jobEvent.create({ data: { jobId: job.id, type: 'provider_fallback', data: { index: image.index, from: providerName, to: next, reason: failure.code } } }),
        ]);
        log.warn({ jobId: job.id, index: image.index, from: providerName, to: next, code: failure.code }, 'provider down; falling back');
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
          data: { jobId: job.id, type: 'image_failed', data: { index: image.index, code: failure.code, message: failure.message } },
        });
        await raiseProgress(tx, job.id, job.numImages);
      });
      return;
    }
  }
}

/**
 * Stores the image's webp thumbnail and answers its key. A thumbnail is a convenience: failing to make
 * one is logged and leaves the key null, never failing an image that was paid for and stored.
 */
async function storeThumbnail(deps: PipelineDeps, jobId: string, index: number, run: number, bytes: Buffer): Promise<string | null> {
  try {
    const key = thumbnailKey(jobId, index, run);
    await deps.storage.put(key, (await makeThumbnail(bytes)).body, 'image/webp');
    return key;
  } catch (error) {
    deps.log.warn({ err: error, jobId, index }, 'could not store the thumbnail');
    return null;
  }
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

/** Progress is the share of images that are done either way; it never goes down. */
async function raiseProgress(tx: Parameters<Parameters<Db['$transaction']>[0]>[0], jobId: string, numImages: number) {
  const done = await tx.image.count({ where: { jobId, status: { in: ['succeeded', 'failed'] } } });
  const progress = Math.min(99, Math.floor((done / numImages) * 100));
  await tx.$executeRaw`update jobs set progress = greatest(progress, ${progress}::int), updated_at = now() where id = ${jobId}::uuid`;
}

/** The terminal status from what the images became, written with the job's last event. */
async function finishJob(deps: PipelineDeps, jobId: string, stopReason: StopReason | null, attempt?: number) {
  const { db } = deps;
  const ended = await db.$transaction(async (tx) => {
    const job = await tx.job.findUniqueOrThrow({ where: { id: jobId }, include: { images: true } });
    if (attempt !== undefined && job.attempts !== attempt) throw new SupersededError(jobId, attempt);
    if (isTerminalStatus(job.status)) return null;
    // Images never started (cancel arrived first) end as canceled, not pending forever.
    if (job.images.some((image) => image.status === 'pending' || image.status === 'running')) {
      await tx.image.updateMany({ where: { jobId, status: { in: ['pending', 'running'] } }, data: { status: 'canceled' } });
    }
    const succeeded = job.images.filter((image) => image.status === 'succeeded').length;
    const failed = job.images.filter((image) => image.status === 'failed');
    let status: 'succeeded' | 'failed' | 'canceled';
    let error: JobError | null = null;
    if (job.cancelRequestedAt) {
      status = 'canceled';
    } else if (stopReason === 'run_timeout') {
      status = 'failed';
      error = {
        code: 'run_timeout',
        message: `the run took longer than ${job.runTimeoutSeconds} s; ${succeeded} of ${job.numImages} images were stored and kept`,
        retryable: true,
      };
    } else if (succeeded > 0) {
      status = 'succeeded';
    } else {
      status = 'failed';
      const first = failed[0];
      error = first
        ? { code: (first.errorCode ?? 'internal') as ErrorCode, message: `no image was produced: ${first.errorMessage ?? 'unknown error'}`, retryable: false }
        : { code: 'internal', message: 'no image was produced', retryable: false };
    }
    // Same transaction as the status: held credits become charges for stored images, the rest refunds.
    const credits = await settleJobCredits(tx, jobId);
    const finished = { status, succeeded, failed: failed.length, credits };
    // The terminal status and its event in one statement; a claim that slipped in since the read above
    // fences it out, and the whole transaction (charges included) rolls back.
    const written = await tx.$executeRaw`
      with ended as (
        update jobs set status = ${status}::"JobStatus", stage = null, finished_at = now(),
          progress = case when ${status} = 'succeeded' then 100 else progress end,
          error_code = ${error?.code ?? null}, error_message = ${error?.message ?? null}, error_retryable = ${error?.retryable ?? null}::boolean,
          updated_at = now()
        where id = ${jobId}::uuid and attempts = ${job.attempts}::int returning id)
      insert into job_events (job_id, type, data) select id, 'finished', ${JSON.stringify(finished)}::jsonb from ended`;
    if (written === 0) throw new SupersededError(jobId, job.attempts);
    // Same transaction: the webhook is queued exactly when the end is recorded.
    if (job.webhookUrl) await enqueueJobWebhook(tx, jobId);
    return { status, startedAt: job.startedAt };
  });
  if (ended) countFinished(ended.status, ended.startedAt);
}

/** Prometheus: one more job ended, and how long it ran. */
export function countFinished(status: 'succeeded' | 'failed' | 'canceled', startedAt: Date | null) {
  jobsFinished.inc({ status });
  if (startedAt) jobDuration.observe({ status }, (Date.now() - startedAt.getTime()) / 1000);
}

/** Ends a job that cannot run at all (bad payload, retries exhausted) with one clear error. */
export async function failJob(db: Db, jobId: string, error: JobError): Promise<void> {
  const ended = await db.$transaction(async (tx) => {
    const job = await tx.job.findUnique({ where: { id: jobId }, select: { status: true, startedAt: true } });
    if (!job || isTerminalStatus(job.status)) return null;
    await tx.image.updateMany({ where: { jobId, status: { in: ['pending', 'running'] } }, data: { status: 'canceled' } });
    await tx.job.update({
      where: { id: jobId },
      data: { status: 'failed', stage: null, finishedAt: new Date(), errorCode: error.code, errorMessage: error.message, errorRetryable: error.retryable },
    });
    const credits = await settleJobCredits(tx, jobId);
    await tx.jobEvent.create({ data: { jobId, type: 'finished', data: { status: 'failed', code: error.code, credits } } });
    await enqueueJobWebhook(tx, jobId);
    return job;
  });
  if (ended) countFinished('failed', ended.startedAt);
}

interface Failure {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
}

/** What the owner reads when an image failed inside Darkroom rather than at the provider. */
export const INTERNAL_IMAGE_FAILURE = 'something went wrong inside Darkroom while storing or preparing this image';

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
  // Not the provider's answer (storage full, a bug): fail the image plainly rather than loop. Its text
  // (paths, SQL, hosts) is for the log, not for the job's owner: the caller logs it.
  return { code: 'internal', message: INTERNAL_IMAGE_FAILURE, retryable: false };
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

type StopReason = 'canceled' | 'run_timeout' | 'shutdown';

/**
 * The signal a run's provider calls listen to: aborted when someone asks for the job to be canceled
 * (heard through `jobChanges`, and checked every `cancelCheckMs`), or when the run passes its deadline.
 */
function watchRun(deps: PipelineDeps, job: Job) {
  const controller = new AbortController();
  let reason: StopReason | null = null;
  const stopWith = (why: StopReason) => {
    if (reason) return;
    reason = why;
    // A worker shutting down only stops waiting: the vendor keeps working, and the next worker resumes
    // the recorded request instead of paying for another.
    controller.abort(why === 'shutdown' ? DETACH : why);
  };
  const checkCancel = async () => {
    if (reason) return;
    try {
      const row = await deps.db.job.findUnique({ where: { id: job.id }, select: { cancelRequestedAt: true } });
      if (row?.cancelRequestedAt) stopWith('canceled');
    } catch (error) {
      deps.log.warn({ jobId: job.id, err: error }, 'cancel check failed');
    }
  };
  // Told by Postgres when the job row changes; the notification says whether a cancel was requested, so
  // the worker's own stage and progress writes cost no read. After a reconnect (null) changes may have
  // been missed: read. The interval is the safety net for a notification lost some other way.
  const unsubscribe = deps.jobChanges?.subscribe({ jobId: job.id }, (change) => {
    if (change === null) void checkCancel();
    else if (change.cancelRequested) stopWith('canceled');
  });
  const poll = setInterval(checkCancel, deps.cancelCheckMs ?? (deps.jobChanges ? 5000 : 500));
  poll.unref();
  const onShutdown = () => stopWith('shutdown');
  deps.shutdownSignal?.addEventListener('abort', onShutdown, { once: true });
  if (deps.shutdownSignal?.aborted) onShutdown();
  const remaining = (job.deadline?.getTime() ?? Number.MAX_SAFE_INTEGER) - Date.now();
  const timeout = setTimeout(() => stopWith('run_timeout'), Math.min(Math.max(0, remaining), 2 ** 31 - 1));
  timeout.unref();
  return {
    signal: controller.signal,
    reason: () => reason,
    stop: () => {
      unsubscribe?.();
      clearInterval(poll);
      clearTimeout(timeout);
      deps.shutdownSignal?.removeEventListener('abort', onShutdown);
    },
  };
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
