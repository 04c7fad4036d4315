/**
 * Jobs as the API changes and reads them. The worker owns everything after `queued -> running`.
 */
import { createHash } from 'node:crypto';
import {
  aspectRatioFor,
  DomainError,
  isTerminalStatus,
  sizeFor,
  type JobListInput,
  type JobEventView,
  type JobListView,
  type JobRequest,
  type JobView,
  type Priority,
} from '@darkroom/core';
import { findJobView, jobViewInclude, Prisma, queuePositionOf, toJobView, type Db, type Tx } from '@darkroom/db';
import type { AuthUser } from '../context.js';

/** graphile-worker runs lower numbers first. */
const GRAPHILE_PRIORITY: Record<Priority, number> = { urgent: -20, high: -10, normal: 0, low: 10 };
/** How often graphile-worker retries a task that crashed (database down, worker killed mid-query). */
const TASK_MAX_ATTEMPTS = 5;

interface ServiceOptions {
  db: Db;
  user: AuthUser;
}

export async function createJob({ db, user, input }: ServiceOptions & { input: JobRequest }): Promise<JobView> {
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
  const aspectRatio = aspectRatioFor(input.preset, input.aspectRatio);
  const { width, height } = sizeFor(aspectRatio);
  const job = await tx.job.create({
    data: {
      userId: user.id,
      preset: input.preset,
      prompt: input.prompt,
      negativePrompt: input.negativePrompt ?? null,
      style: input.style ?? null,
      aspectRatio,
      width,
      height,
      seed: input.seed ?? null,
      provider: input.provider,
      numImages: input.numImages,
      priority: input.priority,
      idempotencyKey: input.idempotencyKey ?? null,
      requestHash,
      projectId: input.projectId ?? null,
      pageId: input.pageId ?? null,
      metadata: (input.metadata as Prisma.InputJsonValue | undefined) ?? Prisma.DbNull,
      images: { create: Array.from({ length: input.numImages }, (_, index) => ({ index })) },
      events: { create: [{ type: 'created', data: { numImages: input.numImages, priority: input.priority } }] },
    },
    include: jobViewInclude,
  });
  // Same transaction as the row: a job never exists without its queue entry, or the reverse.
  await tx.$executeRaw`
    select graphile_worker.add_job(
      'generate',
      json_build_object('jobId', ${job.id}::text),
      job_key := ${job.id}::text,
      priority := ${GRAPHILE_PRIORITY[input.priority]}::int,
      max_attempts := ${TASK_MAX_ATTEMPTS}::int
    )`;
  return toJobView(job, await queuePositionOf(tx, job));
}

async function findByIdempotencyKey(db: Db, userId: string, key: string, requestHash: string): Promise<JobView | null> {
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
  const items = await Promise.all(page.map(async (job) => toJobView(job, await queuePositionOf(db, job))));
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
