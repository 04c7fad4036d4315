/**
 * Jobs as the API changes and reads them. The worker owns everything after `queued -> running`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import {
  aspectRatioFor,
  BAND_WIDTH,
  DomainError,
  TASKS,
  estimateWaitSeconds,
  MODEL_PROVIDERS,
  PRIORITY_BANDS,
  isTerminalStatus,
  pricePerImage,
  promptFilterMatch,
  sizeFor,
  type JobListInput,
  type BatchRequest,
  type BatchView,
  type JobEventView,
  type JobListView,
  type JobRequest,
  type JobView,
  type Priority,
  type ProviderName,
} from '@darkroom/core';
import type { Prisma } from '@darkroom/db';
import {
  domainErrorFromPostgres,
  lifecycle,
  jobViewInclude,
  postgresErrorOf,
  queuePlaceOf,
  queuePlacesOf,
  recentStartRate,
  toJobView,
  type Db,
  type Image,
  type JobWithImages,
  type Tx,
} from '@darkroom/db';
import type { AuthUser } from '../context.js';
import { jobsCreated, jobsFinished } from '../metrics.js';
import type { AccountSettings } from '../env.js';
import type { RateLimits } from '../rate-limits.js';
import { assertWebhookTarget } from '../webhooks/service.js';
import { prioritiesFor } from '../credits/service.js';

/** The most jobs a prompt search looks at (the newest that match). */
const MAX_SEARCH_MATCHES = 2000;

/** How often graphile-worker retries a run that crashed (core's task catalog). */
const TASK_MAX_ATTEMPTS = TASKS.generate.maxAttempts;

interface ServiceOptions {
  db: Db;
  user: AuthUser;
}

/** What a submit needs beyond the caller: prices and the user's limits. */
interface SubmitOptions extends ServiceOptions {
  settings: AccountSettings;
  limits: RateLimits;
}

/** The jobs a caller may read and cancel: their own, or any for an admin. */
function visibleTo(user: AuthUser): { userId?: string } {
  return user.role === 'admin' ? {} : { userId: user.id };
}

/**
 * Accepts a job: counts it against the submit rate, then in one statement inserts it, reserves
 * numImages x price credits (INSUFFICIENT_CREDITS when short) and checks the active-jobs cap.
 */
export async function createJob({
  db,
  user,
  settings,
  limits,
  input,
}: SubmitOptions & { input: JobRequest }): Promise<JobView> {
  assertStartByInFuture(input);
  assertProviderEnabled(settings, input.provider, 'provider');
  assertModelAccepted(input, 'model');
  assertPriorityAllowed(settings, user, input.priority, 'priority');
  assertPromptAllowed(settings, input, '');
  const requestHash = hashRequest(input);
  if (input.idempotencyKey) {
    const earlier = await findByIdempotencyKey(db, user.id, input.idempotencyKey, requestHash);
    if (earlier) return earlier;
  }
  await limits.consumeSubmits(user.id, 1);
  // After the rate limit: a DNS lookup per call must not be free to repeat.
  if (input.webhookUrl) await assertWebhookTarget({ db, user, settings, url: input.webhookUrl, field: 'webhookUrl' });
  try {
    const view = await acceptJob(db, user, settings, input, requestHash);
    jobsCreated.inc({ priority: input.priority });
    return view;
  } catch (error) {
    // Two submits with one key raced past the read above; the loser answers with the winner's job.
    if (input.idempotencyKey && postgresErrorOf(error)?.originalCode === UNIQUE_VIOLATION) {
      const earlier = await findByIdempotencyKey(db, user.id, input.idempotencyKey, requestHash);
      if (earlier) return earlier;
    }
    throw error;
  }
}

/**
 * Refuses a model for a provider that does not take one (hosted vendors run their configured model):
 * `details.reason` is `model_not_accepted`, with the providers that do.
 */
function assertModelAccepted(input: Pick<JobRequest, 'provider' | 'model'>, field: string) {
  if (input.model === undefined || MODEL_PROVIDERS.includes(input.provider)) return;
  throw new DomainError(
    'BAD_INPUT',
    `provider ${input.provider} does not take a model; providers that do: ${MODEL_PROVIDERS.join(', ')}`,
    { field, reason: 'model_not_accepted', provider: input.provider, accepts: MODEL_PROVIDERS },
  );
}

/**
 * Refuses a job for a provider this deployment does not run (PROVIDERS_ENABLED): it would be priced as
 * one provider and run on another. `details.reason` is `provider_not_enabled`, with what is enabled.
 */
function assertProviderEnabled(settings: AccountSettings, provider: ProviderName, field: string) {
  if (settings.enabledProviders.includes(provider)) return;
  throw new DomainError(
    'BAD_INPUT',
    `provider ${provider} is not enabled here; enabled: ${settings.enabledProviders.join(', ')}`,
    {
      field,
      reason: 'provider_not_enabled',
      provider,
      enabled: settings.enabledProviders,
    },
  );
}

/**
 * Refuses (BAD_INPUT, `details.reason` `content_filtered`) a prompt or style the operator's content
 * policy (PROMPT_FILTER) does not take; before any credit is reserved or anything written.
 */
function assertPromptAllowed(settings: AccountSettings, request: Pick<JobRequest, 'prompt' | 'style'>, prefix: string) {
  for (const field of ['prompt', 'style'] as const) {
    const matched = request[field] ? promptFilterMatch(settings.promptFilter, request[field]) : null;
    if (matched) {
      throw new DomainError(
        'BAD_INPUT',
        `the ${field} is refused by this deployment's content policy (it matches "${matched}")`,
        { field: `${prefix}${field}`, reason: 'content_filtered' },
      );
    }
  }
}

/** Refuses (FORBIDDEN, naming the field and what is allowed) a priority the caller may not ask for. */
function assertPriorityAllowed(settings: AccountSettings, user: AuthUser, priority: Priority, field: string) {
  const allowed = prioritiesFor(settings, user);
  if (allowed.includes(priority)) return;
  throw new DomainError('FORBIDDEN', `priority ${priority} is for admins here; you may use ${allowed.join(', ')}`, {
    field,
    priority,
    allowed,
  });
}

/** Postgres's SQLSTATE for a unique constraint violation. */
const UNIQUE_VIOLATION = '23505';

/**
 * Writes a new job in one round trip: `darkroom_accept_job` (migration 20261125011500_accept_job)
 * inserts the row, its images and `created` event, queues it, then reserves its credits under the
 * user's row lock and checks the active-jobs cap, as one statement, so a refusal leaves nothing written.
 * The answer is built from the row as sent plus what Postgres decided (rank, created_at, place), so
 * nothing is read back.
 */
async function acceptJob(
  db: Db,
  user: AuthUser,
  settings: AccountSettings,
  input: JobRequest,
  requestHash: string,
): Promise<JobView> {
  const { job, ahead } = await insertAcceptedJob(db, user, settings, input, requestHash, null, true);
  return toJobView(job, {
    position: ahead!,
    estimatedWaitSeconds: estimateWaitSeconds(ahead!, await recentStartRate(db)),
  });
}

/**
 * `darkroom_accept_job` (migration 20261125033500_accept_job_without_place) for one request, alone or
 * inside a batch's transaction; answers the new row and, with `countAhead`, the number of queued jobs
 * ahead of it (a batch reads its jobs' places afterwards, in one statement, outside its lock).
 */
async function insertAcceptedJob(
  db: Db | Tx,
  user: AuthUser,
  settings: AccountSettings,
  input: JobRequest,
  requestHash: string,
  batchId: string | null,
  countAhead: boolean,
): Promise<{ job: JobWithImages; ahead: number | null }> {
  const price = pricePerImage(settings.prices, { provider: input.provider, quality: input.quality });
  const aspectRatio = aspectRatioFor(input.preset, input.aspectRatio);
  const { width, height } = sizeFor(aspectRatio);
  const row = {
    id: uuidv7(),
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
    model: input.model ?? null,
    quality: input.quality ?? null,
    outputFormat: input.outputFormat,
    numImages: input.numImages,
    priority: input.priority,
    startBy: input.startBy ? new Date(input.startBy) : null,
    runTimeoutSeconds: input.runTimeoutSeconds,
    idempotencyKey: input.idempotencyKey ?? null,
    requestHash,
    projectId: input.projectId ?? null,
    pageId: input.pageId ?? null,
    metadata: input.metadata ?? null,
    webhookUrl: input.webhookUrl ?? null,
    webhookEvents: input.webhookEvents ? [...new Set(input.webhookEvents)] : DEFAULT_WEBHOOK_EVENTS,
    creditPrice: price,
    creditsReserved: price * input.numImages,
  };
  const imageIds = Array.from({ length: input.numImages }, () => uuidv7());
  const band = PRIORITY_BANDS[input.priority];
  let accepted: { rank: number; accepted_at: Date; ahead: number | null } | undefined;
  try {
    [accepted] = await db.$queryRaw<{ rank: number; accepted_at: Date; ahead: number | null }[]>`
      select rank, accepted_at, ahead from darkroom_accept_job(
        ${JSON.stringify(row)}::jsonb, ${imageIds}::uuid[], ${band}::int, ${BAND_WIDTH}::int,
        ${settings.maxActiveJobsPerUser}::int, ${TASK_MAX_ATTEMPTS}::int, ${countAhead}::boolean)`;
  } catch (error) {
    throw domainErrorFromPostgres(error) ?? error;
  }
  const { rank, accepted_at: createdAt, ahead } = accepted!;
  const job: JobWithImages = {
    ...row,
    metadata: row.metadata as Prisma.JsonValue,
    params: {},
    queueRank: rank,
    promotedAt: null,
    status: 'queued',
    stage: null,
    progress: 0,
    attempts: 0,
    maxAttempts: 3,
    errorCode: null,
    errorMessage: null,
    errorRetryable: null,
    references: null,
    creditsCharged: 0,
    deadline: null,
    cancelRequestedAt: null,
    createdAt,
    startedAt: null,
    finishedAt: null,
    updatedAt: createdAt,
    version: 0,
    images: imageIds.map((id, index) => newImage(id, row.id, index, createdAt)),
  };
  return { job, ahead };
}

/** Which events call a job's webhook when the request names none (the column's default). */
const DEFAULT_WEBHOOK_EVENTS = ['job.finished'];

/** A just-inserted pending image, as `darkroom_accept_job` writes it. */
function newImage(id: string, jobId: string, index: number, createdAt: Date): Image {
  return {
    id,
    jobId,
    index,
    status: 'pending',
    attempts: 0,
    prompt: null,
    seed: null,
    storageKey: null,
    thumbnailKey: null,
    mime: null,
    width: null,
    height: null,
    bytes: null,
    providerRequestId: null,
    provider: null,
    errorCode: null,
    errorMessage: null,
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    palette: null,
    createdAt,
    updatedAt: createdAt,
    version: 0,
  };
}

/**
 * Up to 100 jobs at once, all or nothing: every request is validated before anything is written, and
 * the jobs go in in one transaction, one `darkroom_accept_job` statement each. A request whose
 * idempotency key was used before returns that earlier job instead of a new one.
 */
export async function createBatch({
  db,
  user,
  settings,
  limits,
  input,
}: SubmitOptions & { input: BatchRequest }): Promise<BatchView> {
  input.requests.forEach((request, index) => {
    assertStartByInFuture(request, `requests.${index}.startBy`);
    assertProviderEnabled(settings, request.provider, `requests.${index}.provider`);
    assertModelAccepted(request, `requests.${index}.model`);
    assertPriorityAllowed(settings, user, request.priority, `requests.${index}.priority`);
    assertPromptAllowed(settings, request, `requests.${index}.`);
  });
  const keys = input.requests.map((request) => request.idempotencyKey).filter((key): key is string => Boolean(key));
  if (new Set(keys).size !== keys.length) {
    throw new DomainError('BAD_INPUT', 'two requests in one batch share an idempotencyKey', { field: 'requests' });
  }
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
        request.numImages * pricePerImage(settings.prices, { provider: request.provider, quality: request.quality }),
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
    // Each job goes in as a single submit's would (darkroom_accept_job: row, images, event, queue entry,
    // reservation, active-jobs cap), inside this one transaction: a refusal undoes the whole batch.
    const queued: Priority[] = [];
    for (const request of input.requests) {
      const requestHash = hashRequest(request);
      // A request already made under its idempotency key is not made again.
      if (request.idempotencyKey && (await jobIdForIdempotencyKey(tx, user.id, request.idempotencyKey, requestHash)))
        continue;
      await insertAcceptedJob(tx, user, settings, request, requestHash, batchId, false);
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

function assertStartByInFuture(input: JobRequest, field = 'startBy') {
  if (input.startBy && Date.parse(input.startBy) <= Date.now()) {
    throw new DomainError('BAD_INPUT', `${field} must be in the future (got ${input.startBy})`, {
      field,
      startBy: input.startBy,
    });
  }
}

async function findByIdempotencyKey(
  db: Db | Tx,
  userId: string,
  key: string,
  requestHash: string,
): Promise<JobView | null> {
  const earlierId = await jobIdForIdempotencyKey(db, userId, key, requestHash);
  return earlierId ? findJobView(db, { userId, id: earlierId }) : null;
}

/** The job an idempotency key already made, or null; CONFLICT when that job was a different request. */
async function jobIdForIdempotencyKey(
  db: Db | Tx,
  userId: string,
  key: string,
  requestHash: string,
): Promise<string | null> {
  const earlier = await db.job.findUnique({
    where: { userId_idempotencyKey: { userId, idempotencyKey: key } },
    select: { id: true, requestHash: true },
  });
  if (!earlier) return null;
  if (earlier.requestHash !== requestHash) {
    throw new DomainError('CONFLICT', `idempotencyKey "${key}" was already used with a different request`, {
      jobId: earlier.id,
    });
  }
  return earlier.id;
}

async function findJobView(db: Db | Tx, where: { id: string; userId?: string }): Promise<JobView | null> {
  const job = await db.job.findFirst({ where, include: jobViewInclude });
  return job ? toJobView(job, await queuePlaceOf(db, job)) : null;
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
  const view = await findJobView(db, { id, ...visibleTo(user) });
  // Another user's job answers exactly like a missing one.
  if (!view) throw new DomainError('NOT_FOUND', `job ${id} not found`);
  return view;
}

/** Newest first; `nextCursor` is the id to pass for the following page, null on the last one. */
export async function listJobs({
  db,
  user,
  input,
}: ServiceOptions & { input: Required<Pick<JobListInput, 'limit'>> & JobListInput }): Promise<JobListView> {
  const limit = input.limit;
  const where: Prisma.JobWhereInput = {
    userId: user.id,
    ...(input.status ? { status: input.status } : {}),
    ...(input.preset ? { preset: input.preset } : {}),
    ...(input.projectId ? { projectId: input.projectId } : {}),
    ...(input.batchId ? { batchId: input.batchId } : {}),
    ...(input.createdFrom || input.createdTo
      ? {
          createdAt: {
            ...(input.createdFrom ? { gte: new Date(input.createdFrom) } : {}),
            ...(input.createdTo ? { lt: new Date(input.createdTo) } : {}),
          },
        }
      : {}),
  };
  if (input.search) {
    // The `search` column is Prisma-unsupported (tsvector), so the match is one raw query over the
    // caller's jobs (GIN index), and the page is read through Prisma as usual.
    const matches = await db.$queryRaw<{ id: string }[]>`
      select id::text as id from jobs
      where user_id = ${user.id}::uuid and search @@ websearch_to_tsquery('english', ${input.search})
      order by created_at desc limit ${MAX_SEARCH_MATCHES}`;
    where.id = { in: matches.map((row) => row.id) };
  }
  const jobs = await db.job.findMany({
    where,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    include: jobViewInclude,
  });
  const page = jobs.slice(0, limit);
  const places = await queuePlacesOf(db, page);
  const items = page.map((job) => toJobView(job, places.get(job.id)!));
  return { items, nextCursor: jobs.length > limit ? (page.at(-1)?.id ?? null) : null };
}

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

/** The job's timeline, oldest first. */
export async function listJobEvents({ db, user, id }: ServiceOptions & { id: string }): Promise<JobEventView[]> {
  const job = await db.job.findFirst({ where: { id, ...visibleTo(user) }, select: { id: true } });
  if (!job) throw new DomainError('NOT_FOUND', `job ${id} not found`);
  const events = await db.jobEvent.findMany({ where: { jobId: id }, orderBy: { id: 'asc' } });
  return events.map((event) => ({
    id: event.id.toString(),
    type: event.type,
    data: (event.data as Record<string, unknown> | null) ?? null,
    createdAt: event.createdAt.toISOString(),
  }));
}
