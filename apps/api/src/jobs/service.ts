/**
 * Jobs as the API changes and reads them. The worker owns everything after `queued -> running`.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  aspectRatioFor,
  BAND_WIDTH,
  DomainError,
  PRIORITY_BANDS,
  queueRankFor,
  isTerminalStatus,
  sizeFor,
  type JobListInput,
  type BatchRequest,
  type BatchView,
  type JobEventView,
  type JobListView,
  type JobRequest,
  type JobView,
  type Priority,
} from '@darkroom/core';
import { findJobView, jobViewInclude, Prisma, queuePlaceOf, toJobView, type Db, type Tx } from '@darkroom/db';
import type { AuthUser } from '../context.js';

/** How often graphile-worker retries a task that crashed (database down, worker killed mid-query). */
const TASK_MAX_ATTEMPTS = 5;

interface ServiceOptions {
  db: Db;
  user: AuthUser;
}

export async function createJob({ db, user, input }: ServiceOptions & { input: JobRequest }): Promise<JobView> {
  assertStartByInFuture(input);
  const requestHash = hashRequest(input);
  if (input.idempotencyKey) {
    const earlier = await findByIdempotencyKey(db, user.id, input.idempotencyKey, requestHash);
    if (earlier) return earlier;
  }
  try {
    return await db.$transaction((tx) => insertJob(tx, user, input, requestHash));
  } catch (error) {
    // Two submits with one key raced past the read above; the loser answers with the winner's job.
    if (input.idempotencyKey && error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      const earlier = await findByIdempotencyKey(db, user.id, input.idempotencyKey, requestHash);
      if (earlier) return earlier;
    }
    throw error;
  }
}

async function insertJob(tx: Tx, user: AuthUser, input: JobRequest, requestHash: string): Promise<JobView> {
  const queueRank = queueRankFor(input.priority, await nextSlot(tx, user.id, input.priority));
  const job = await insertJobRow(tx, user, input, { requestHash, queueRank, batchId: null });
  // Same transaction as the row: a job never exists without its queue entry, or the reverse.
  await tx.$executeRaw`
    select graphile_worker.add_job(
      'generate',
      json_build_object('jobId', ${job.id}::text),
      job_key := ${job.id}::text,
      priority := ${queueRank}::int,
      max_attempts := ${TASK_MAX_ATTEMPTS}::int
    )`;
  return toJobView(job, await queuePlaceOf(tx, job));
}

function insertJobRow(
  tx: Tx,
  user: AuthUser,
  input: JobRequest,
  { requestHash, queueRank, batchId }: { requestHash: string; queueRank: number; batchId: string | null },
) {
  const aspectRatio = aspectRatioFor(input.preset, input.aspectRatio);
  const { width, height } = sizeFor(aspectRatio);
  return tx.job.create({
    data: {
      userId: user.id,
      batchId,
      preset: input.preset,
      prompt: input.prompt,
      negativePrompt: input.negativePrompt ?? null,
      style: input.style ?? null,
      aspectRatio,
      width,
      height,
      seed: input.seed ?? null,
      provider: input.provider,
      outputFormat: input.outputFormat,
      numImages: input.numImages,
      priority: input.priority,
      queueRank,
      startBy: input.startBy ? new Date(input.startBy) : null,
      runTimeoutSeconds: input.runTimeoutSeconds,
      idempotencyKey: input.idempotencyKey ?? null,
      requestHash,
      projectId: input.projectId ?? null,
      pageId: input.pageId ?? null,
      metadata: (input.metadata as Prisma.InputJsonValue | undefined) ?? Prisma.DbNull,
      images: { create: Array.from({ length: input.numImages }, (_, index) => ({ index })) },
      events: { create: [{ type: 'created', data: { numImages: input.numImages, priority: input.priority, ...(batchId ? { batchId } : {}) } }] },
    },
    include: jobViewInclude,
  });
}

/**
 * Up to 100 jobs at once, all or nothing: every request is validated before anything is written, the
 * rows go in one transaction, and their queue entries in one `add_jobs` call. A request whose
 * idempotency key was used before returns that earlier job instead of a new one.
 */
export async function createBatch({ db, user, input }: ServiceOptions & { input: BatchRequest }): Promise<BatchView> {
  input.requests.forEach((request, index) => assertStartByInFuture(request, `requests.${index}.startBy`));
  const keys = input.requests.map((request) => request.idempotencyKey).filter((key): key is string => Boolean(key));
  if (new Set(keys).size !== keys.length) {
    throw new DomainError('BAD_INPUT', 'two requests in one batch share an idempotencyKey', { field: 'requests' });
  }
  const batchId = randomUUID();
  await db.$transaction(async (tx) => {
    const slots = new Map<Priority, number>();
    const queued: { jobId: string; queueRank: number }[] = [];
    for (const request of input.requests) {
      const requestHash = hashRequest(request);
      if (request.idempotencyKey) {
        const earlier = await findByIdempotencyKey(tx, user.id, request.idempotencyKey, requestHash);
        if (earlier) continue;
      }
      const slot = slots.get(request.priority) ?? (await nextSlot(tx, user.id, request.priority));
      slots.set(request.priority, slot + 1);
      const queueRank = queueRankFor(request.priority, slot);
      const job = await insertJobRow(tx, user, request, { requestHash, queueRank, batchId });
      queued.push({ jobId: job.id, queueRank });
    }
    if (queued.length === 0) return;
    const specs = queued.map(({ jobId, queueRank }) => ({
      identifier: 'generate',
      payload: { jobId },
      job_key: jobId,
      priority: queueRank,
      max_attempts: TASK_MAX_ATTEMPTS,
    }));
    await tx.$executeRaw`
      select graphile_worker.add_jobs(array(
        select json_populate_record(null::graphile_worker.job_spec, spec)
        from json_array_elements(${JSON.stringify(specs)}::json) spec))`;
  });
  return getBatch({ db, user, batchId });
}

/** A batch and its aggregate progress, for its owner. */
export async function getBatch({ db, user, batchId }: ServiceOptions & { batchId: string }): Promise<BatchView> {
  const jobs = await db.job.findMany({ where: { batchId, userId: user.id }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], include: jobViewInclude });
  if (jobs.length === 0) throw new DomainError('NOT_FOUND', `batch ${batchId} not found`);
  const views = await Promise.all(jobs.map(async (job) => toJobView(job, await queuePlaceOf(db, job))));
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

/**
 * Runs a failed or canceled job again (or a succeeded one with images missing), regenerating only the
 * images it lacks; stored images are kept and not generated or charged again.
 */
export async function retryJob({ db, user, id }: ServiceOptions & { id: string }): Promise<JobView> {
  await db.$transaction(async (tx) => {
    await tx.$queryRaw`select id from jobs where id = ${id}::uuid and user_id = ${user.id}::uuid for update`;
    const job = await tx.job.findFirst({ where: { id, userId: user.id }, include: { images: true } });
    if (!job) throw new DomainError('NOT_FOUND', `job ${id} not found`);
    const missing = job.images.filter((image) => image.status !== 'succeeded');
    if (!isTerminalStatus(job.status)) {
      throw new DomainError('INVALID_STATE', `job ${id} is ${job.status}; only a finished job can be retried`, { status: job.status });
    }
    if (missing.length === 0) {
      throw new DomainError('INVALID_STATE', `job ${id} has all its images; there is nothing to retry`, { status: job.status });
    }
    const queueRank = queueRankFor(job.priority, await nextSlot(tx, user.id, job.priority));
    await tx.image.updateMany({
      where: { id: { in: missing.map((image) => image.id) } },
      data: { status: 'pending', attempts: 0, errorCode: null, errorMessage: null, startedAt: null, finishedAt: null, durationMs: null },
    });
    await tx.job.update({
      where: { id },
      data: {
        status: 'queued',
        stage: null,
        queueRank,
        errorCode: null,
        errorMessage: null,
        errorRetryable: null,
        cancelRequestedAt: null,
        finishedAt: null,
        deadline: null,
        startBy: null,
      },
    });
    await tx.jobEvent.create({ data: { jobId: id, type: 'retried', data: { images: missing.map((image) => image.index), previousStatus: job.status } } });
    await tx.$executeRaw`
      select graphile_worker.add_job('generate', json_build_object('jobId', ${id}::text),
        job_key := ${id}::text, priority := ${queueRank}::int, max_attempts := ${TASK_MAX_ATTEMPTS}::int)`;
  });
  return getJob({ db, user, id });
}

/**
 * The new job's place in its owner's backlog of this priority: after their last queued job, or 0 when
 * they have none queued (see core's queue.ts for why this makes the queue fair between users).
 */
async function nextSlot(tx: Tx, userId: string, priority: Priority): Promise<number> {
  const band = PRIORITY_BANDS[priority];
  const [row] = await tx.$queryRaw<{ last: number | null }[]>`
    select max(queue_rank) as last from jobs
    where user_id = ${userId}::uuid and status = 'queued'
      and queue_rank >= ${band}::int and queue_rank < ${band + BAND_WIDTH}::int`;
  return row?.last === null || row?.last === undefined ? 0 : row.last - band + 1;
}

function assertStartByInFuture(input: JobRequest, field = 'startBy') {
  if (input.startBy && Date.parse(input.startBy) <= Date.now()) {
    throw new DomainError('BAD_INPUT', `${field} must be in the future (got ${input.startBy})`, { field, startBy: input.startBy });
  }
}

async function findByIdempotencyKey(db: Db | Tx, userId: string, key: string, requestHash: string): Promise<JobView | null> {
  const earlier = await db.job.findUnique({ where: { userId_idempotencyKey: { userId, idempotencyKey: key } }, select: { id: true, requestHash: true } });
  if (!earlier) return null;
  if (earlier.requestHash !== requestHash) {
    throw new DomainError('CONFLICT', `idempotencyKey "${key}" was already used with a different request`, { jobId: earlier.id });
  }
  return findJobView(db, { userId, jobId: earlier.id });
}

/** Stable across key order, so the same request always hashes the same. */
function hashRequest(input: JobRequest): string {
  const { idempotencyKey: _key, ...rest } = input;
  return createHash('sha256').update(stableStringify(rest)).digest('hex');
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export async function getJob({ db, user, id }: ServiceOptions & { id: string }): Promise<JobView> {
  const view = await findJobView(db, { userId: user.id, jobId: id });
  // Another user's job answers exactly like a missing one.
  if (!view) throw new DomainError('NOT_FOUND', `job ${id} not found`);
  return view;
}

/** Newest first; `nextCursor` is the id to pass for the following page, null on the last one. */
export async function listJobs({ db, user, input }: ServiceOptions & { input: Required<Pick<JobListInput, 'limit'>> & JobListInput }): Promise<JobListView> {
  const limit = input.limit;
  const jobs = await db.job.findMany({
    where: { userId: user.id, ...(input.status ? { status: input.status } : {}) },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    include: jobViewInclude,
  });
  const page = jobs.slice(0, limit);
  const items = await Promise.all(page.map(async (job) => toJobView(job, await queuePlaceOf(db, job))));
  return { items, nextCursor: jobs.length > limit ? (page.at(-1)?.id ?? null) : null };
}

/**
 * A queued job is canceled at once and its queue entry removed. A running job is asked to stop: the
 * worker sees `cancelRequestedAt` before its next image and finishes it as canceled, keeping what is
 * stored.
 */
export async function cancelJob({ db, user, id }: ServiceOptions & { id: string }): Promise<JobView> {
  const job = await db.job.findFirst({ where: { id, userId: user.id }, select: { id: true, status: true } });
  if (!job) throw new DomainError('NOT_FOUND', `job ${id} not found`);
  if (isTerminalStatus(job.status)) {
    throw new DomainError('INVALID_STATE', `job ${id} is already ${job.status}; only queued or running jobs can be canceled`, { status: job.status });
  }
  await db.$transaction(async (tx) => {
    const now = new Date();
    const canceled = await tx.job.updateMany({
      where: { id, status: 'queued' },
      data: { status: 'canceled', cancelRequestedAt: now, finishedAt: now, stage: null },
    });
    if (canceled.count === 1) {
      await tx.image.updateMany({ where: { jobId: id, status: 'pending' }, data: { status: 'canceled' } });
      await tx.jobEvent.create({ data: { jobId: id, type: 'finished', data: { status: 'canceled', reason: 'canceled while queued' } } });
      await tx.$executeRaw`select graphile_worker.remove_job(${id}::text)`;
      return;
    }
    // It started between our read and the update: ask the worker to stop instead.
    const requested = await tx.job.updateMany({
      where: { id, status: 'running', cancelRequestedAt: null },
      data: { cancelRequestedAt: now },
    });
    if (requested.count === 1) await tx.jobEvent.create({ data: { jobId: id, type: 'cancel_requested' } });
  });
  return getJob({ db, user, id });
}

/** The job's timeline, oldest first. */
export async function listJobEvents({ db, user, id }: ServiceOptions & { id: string }): Promise<JobEventView[]> {
  const job = await db.job.findFirst({ where: { id, userId: user.id }, select: { id: true } });
  if (!job) throw new DomainError('NOT_FOUND', `job ${id} not found`);
  const events = await db.jobEvent.findMany({ where: { jobId: id }, orderBy: { id: 'asc' } });
  return events.map((event) => ({
    id: event.id.toString(),
    type: event.type,
    data: (event.data as Record<string, unknown> | null) ?? null,
    createdAt: event.createdAt.toISOString(),
  }));
}
