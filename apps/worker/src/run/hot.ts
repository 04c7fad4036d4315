/**
 * The run's per-image writes, sent as named (prepared) statements through the node-postgres pool under
 * the Prisma client (pgPoolOf) instead of Prisma's client runtime: every image of every job sends them,
 * and a worker under load spent more of its one thread in Prisma's runtime and query compiler than in
 * the image work (docs/performance.md, issue 20, points 3 and 4). Sent with @darkroom/db's queryHot and
 * execHot, which fall back to Prisma for a client made elsewhere than makeDb.
 */
import type { HotStatement, Image } from '@darkroom/db';

/** An image's attempt starts: what Prisma's `image.update` sent, without its runtime. */
export const IMAGE_STARTED: HotStatement = {
  name: 'darkroom_image_started',
  text: `update images set status = 'running', attempts = $2::int, started_at = $3::timestamptz, updated_at = now()
    where id = $1::uuid`,
};

/** Every column of Prisma's Image model under its field name (a missing one fails the typecheck). */
const IMAGE_FIELDS: Record<keyof Image, string> = {
  id: 'id',
  jobId: 'job_id',
  index: 'index',
  status: 'status',
  attempts: 'attempts',
  prompt: 'prompt',
  seed: 'seed',
  storageKey: 'storage_key',
  thumbnailKey: 'thumbnail_key',
  mime: 'mime',
  width: 'width',
  height: 'height',
  bytes: 'bytes',
  providerRequestId: 'provider_request_id',
  provider: 'provider',
  model: 'model',
  engineInstance: 'engine_instance',
  errorCode: 'error_code',
  errorMessage: 'error_message',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  durationMs: 'duration_ms',
  palette: 'palette',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  version: 'version',
  progress: 'progress',
  previewVersion: 'preview_version',
  previewStep: 'preview_step',
  previewSteps: 'preview_steps',
};

/** A job's images in order, as Prisma's `image.findMany` reads them (stages.test.ts compares the two). */
export const IMAGES_OF_JOB: HotStatement = {
  name: 'darkroom_images_of_job',
  text: `select ${Object.entries(IMAGE_FIELDS)
    .map(([field, column]) => `"${column}" as "${field}"`)
    .join(', ')} from images where job_id = $1::uuid order by index`,
};
