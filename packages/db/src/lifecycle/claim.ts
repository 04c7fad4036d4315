/**
 * `claim`: a worker takes a queued job (or resumes one whose worker died), in one statement,
 * darkroom_claim_job (packages/db/sql; migrations claim_job, housekeeping_priority, end_job): the
 * decision with the row locked, the start with its events and a `job.started` webhook, and the claimed
 * row answered with it (the worker read it again after, a statement per job).
 */
import { randomSeed } from '@darkroom/core';
import { queryHot, type Db } from '../client.js';
import type { Job } from '../generated/prisma/client.js';
import { WEBHOOK_DELIVERY_MAX_ATTEMPTS } from '../webhooks.js';

export type ClaimDecision =
  /** Claimed: run it; `job` is the row as the claim left it (as Prisma reads it). */
  | { outcome: 'run'; job: Job }
  /** Already over, or gone. */
  | { outcome: 'over' }
  /** A cancel was requested before it started: end it. */
  | { outcome: 'finish' }
  /** Its start deadline passed: fail it. */
  | { outcome: 'fail'; startBy: Date }
  /** Its owner is at the running cap: try again a moment later. */
  | { outcome: 'deferred'; queueRank: number };

/** Every column of Prisma's Job model under its field name, from the function's `claimed` row. */
const JOB_FIELDS: Record<keyof Job, string> = {
  id: 'id',
  userId: 'user_id',
  batchId: 'batch_id',
  preset: 'preset',
  prompt: 'prompt',
  negativePrompt: 'negative_prompt',
  style: 'style',
  aspectRatio: 'aspect_ratio',
  width: 'width',
  height: 'height',
  seed: 'seed',
  provider: 'provider',
  model: 'model',
  engineOptions: 'engine_options',
  numImages: 'num_images',
  priority: 'priority',
  queueRank: 'queue_rank',
  promotedAt: 'promoted_at',
  status: 'status',
  stage: 'stage',
  progress: 'progress',
  attempts: 'attempts',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  errorRetryable: 'error_retryable',
  idempotencyKey: 'idempotency_key',
  requestHash: 'request_hash',
  projectId: 'project_id',
  pageId: 'page_id',
  metadata: 'metadata',
  references: 'references',
  creditsReserved: 'credits_reserved',
  creditsCharged: 'credits_charged',
  creditPrice: 'credit_price',
  startBy: 'start_by',
  notBefore: 'not_before',
  progressEventAt: 'progress_event_at',
  deadline: 'deadline',
  runTimeoutSeconds: 'run_timeout_s',
  quality: 'quality',
  outputFormat: 'output_format',
  moderation: 'moderation',
  cancelRequestedAt: 'cancel_requested_at',
  createdAt: 'created_at',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  updatedAt: 'updated_at',
  version: 'version',
  webhookUrl: 'webhook_url',
  webhookEvents: 'webhook_events',
  traceParent: 'trace_parent',
  kind: 'kind',
  parentImageId: 'parent_image_id',
  inputOptions: 'input_options',
};

/** Named, so each connection parses and plans it once. The function runs once (it is in FROM). */
const CLAIM = {
  name: 'darkroom_claim_job',
  text: `select c.outcome, c.queue_rank as "claimQueueRank", c.start_by as "claimStartBy",
    ${Object.entries(JOB_FIELDS)
      .map(([field, column]) => `(c.claimed)."${column}" as "${field}"`)
      .join(', ')}
    from darkroom_claim_job($1::uuid, $2::text, $3::int, $4::int, $5::int) c`,
};

type ClaimRow = Job & {
  outcome: ClaimDecision['outcome'];
  claimQueueRank: number | null;
  claimStartBy: Date | null;
};

/**
 * Sent through the node-postgres pool under the client (pgPoolOf), not Prisma's client runtime: it runs
 * at the start of every job. A client made elsewhere than makeDb sends it through Prisma.
 */
export async function claimJob(db: Db, jobId: string, workerId: string, runningCap: number): Promise<ClaimDecision> {
  const values = [jobId, workerId, runningCap, randomSeed(), WEBHOOK_DELIVERY_MAX_ATTEMPTS];
  const [claim] = await queryHot<ClaimRow>(db, CLAIM, values);
  const { outcome, claimQueueRank, claimStartBy, ...job } = claim!;
  switch (outcome) {
    case 'run':
      return { outcome: 'run', job };
    case 'fail':
      return { outcome: 'fail', startBy: claimStartBy! };
    case 'deferred':
      return { outcome: 'deferred', queueRank: claimQueueRank! };
    default:
      return { outcome };
  }
}
