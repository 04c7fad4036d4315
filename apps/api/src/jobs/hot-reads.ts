/**
 * The hottest reads (a client polling its job, then fetching its images) without Prisma's client
 * runtime: the job, its images and its inputs in one prepared statement, and an image's owner check in
 * another, through the node-postgres pool Prisma itself uses (pgPoolOf).
 * Under load Prisma's query compiler and result mapping were the largest single cost of a status read
 * (docs/performance.md, "Status reads"). The row is shaped as Prisma's model is (same field names and
 * types) and goes through the same toJobView, so the answer is the same one: hot-reads.test.ts compares
 * the two paths for every kind of job.
 */
import { pgPoolOf, queuePlaceOf, toJobView, type Db, type JobWithImages } from '@darkroom/db';
import type { JobView } from '@darkroom/core';

const JOB_COLUMNS = `j.id, j.batch_id as "batchId", j.status, j.stage, j.progress, j.preset, j.prompt,
  j.negative_prompt as "negativePrompt", j.aspect_ratio as "aspectRatio", j.style, j.seed,
  j.num_images as "numImages", j.priority, j.provider, j.model, j.engine_options as "engineOptions",
  j.quality, j.output_format as "outputFormat", j.width, j.height, j.project_id as "projectId",
  j.page_id as "pageId", j.metadata, j.error_code as "errorCode", j.error_message as "errorMessage",
  j.error_retryable as "errorRetryable", j.attempts, j.start_by as "startBy", j.not_before as "notBefore",
  j.run_timeout_s as "runTimeoutSeconds", j.credit_price as "creditPrice",
  j.credits_reserved as "creditsReserved", j.credits_charged as "creditsCharged", j."references", j.kind,
  j.input_options as "inputOptions", j.parent_image_id as "parentImageId", j.created_at as "createdAt",
  j.started_at as "startedAt", j.finished_at as "finishedAt", j.updated_at as "updatedAt", j.version,
  j.queue_rank as "queueRank"`;

// Only the columns a view shows (toImageView, toJobInputView); none is a date, so JSON loses nothing.
const IMAGES = `coalesce((select json_agg(json_build_object('id', i.id, 'index', i.index, 'status', i.status,
  'storageKey', i.storage_key, 'thumbnailKey', i.thumbnail_key, 'mime', i.mime, 'width', i.width,
  'height', i.height, 'bytes', i.bytes, 'seed', i.seed, 'errorCode', i.error_code,
  'errorMessage', i.error_message, 'prompt', i.prompt, 'attempts', i.attempts, 'progress', i.progress,
  'previewVersion', i.preview_version, 'previewStep', i.preview_step, 'previewSteps', i.preview_steps,
  'model', i.model, 'version', i.version) order by i.index)
  from images i where i.job_id = j.id), '[]'::json) as images`;

const INPUTS = `coalesce((select json_agg(json_build_object('id', x.id, 'slot', x.slot, 'position', x.position,
  'role', x.role, 'assetId', x.asset_id, 'imageId', x.image_id, 'thumbnailKey', x.thumbnail_key,
  'mime', x.mime, 'width', x.width, 'height', x.height) order by x.slot, x.position)
  from job_inputs x where x.job_id = j.id), '[]'::json) as inputs`;

/** Named, so each connection parses and plans it once. `$2` null: any owner (an admin's read). */
const JOB_VIEW = {
  name: 'darkroom_hot_job_view',
  text: `select ${JOB_COLUMNS}, ${IMAGES}, ${INPUTS}
    from jobs j where j.id = $1::uuid and ($2::uuid is null or j.user_id = $2::uuid)`,
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The job as `userId` may see it (any owner's when undefined), or null when it does not exist or is
 * not theirs. Callers check `id` with JobRef; anything else, and a client made elsewhere than makeDb
 * (no pool of ours), goes through Prisma as before.
 */
export async function hotJobView(
  db: Db,
  { id, userId }: { id: string; userId?: string },
  viaPrisma: () => Promise<JobView | null>,
): Promise<JobView | null> {
  const pool = pgPoolOf(db);
  if (!pool || !UUID.test(id)) return viaPrisma();
  const { rows } = await pool.query<JobWithImages>({ ...JOB_VIEW, values: [id, userId ?? null] });
  const job = rows[0];
  // Rare: only a queued job has a place, and its count reads the queue checkpoints kept per client.
  return job ? toJobView(job, await queuePlaceOf(db, job)) : null;
}

/** What serving an image needs of its row. */
export interface ServableImage {
  id: string;
  storageKey: string | null;
  thumbnailKey: string | null;
  mime: string | null;
  bytes: number | null;
}

const SERVABLE_IMAGE = {
  name: 'darkroom_hot_servable_image',
  text: `select i.id, i.storage_key as "storageKey", i.thumbnail_key as "thumbnailKey", i.mime, i.bytes
    from images i join jobs j on j.id = i.job_id
    where i.id = $1::uuid and i.status = 'succeeded' and ($2::uuid is null or j.user_id = $2::uuid)`,
};

/**
 * A finished image `userId` owns (any owner's when undefined: an admin, or a signed link), for
 * GET /images/:id; the same rule as the Prisma read it replaces, in one prepared statement.
 */
export async function hotServableImage(
  db: Db,
  { id, userId }: { id: string; userId?: string },
  viaPrisma: () => Promise<ServableImage | null>,
): Promise<ServableImage | null> {
  const pool = pgPoolOf(db);
  if (!pool || !UUID.test(id)) return viaPrisma();
  const { rows } = await pool.query<ServableImage>({ ...SERVABLE_IMAGE, values: [id, userId ?? null] });
  return rows[0] ?? null;
}
