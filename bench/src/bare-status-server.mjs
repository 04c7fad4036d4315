// The status-read baseline: a bare Node `http` server (no framework, no ORM) that answers
// GET /trpc/jobs.get?input={"id":...} with `Authorization: Bearer <key>` by running the same SQL
// Darkroom runs (key + owner by prefix at most every 10 s, the job by id and owner with its images and
// input images in one statement, and for a queued job its queue place) through `pg`, and answering the
// same JSON. Run as a child process by status.mjs;
// prints `listening on http://...`.
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { estimateWaitSeconds } from '@darkroom/core';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_SIZE ?? 10) });
const KEY = /^Bearer\s+dk_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/i;
const sha256 = (text) => createHash('sha256').update(text).digest('hex');
let rate = { at: 0, value: null };

// What Darkroom does per read (apps/api/src/jobs/hot-reads.ts, auth/authenticate.ts): one prepared statement
// for the job with its images and inputs, and the key looked up at most every 10 s per process.
const JOB = {
  name: 'bare_job_view',
  text: `select j.*,
      coalesce((select json_agg(i.* order by i.index) from images i where i.job_id = j.id), '[]'::json) as images,
      coalesce((select json_agg(x.* order by x.slot, x.position) from job_inputs x where x.job_id = j.id), '[]'::json)
        as inputs
    from jobs j where j.id = $1 and j.user_id = $2`,
};
const keys = new Map();
async function keyOf(prefix) {
  const cached = keys.get(prefix);
  if (cached && Date.now() - cached.at < 10_000) return cached.key;
  const key = (
    await pool.query(
      `select k.id, k.hash, k.revoked_at, k.last_used_at, u.id as user_id, u.email, u.role
       from api_keys k join users u on u.id = k.user_id where k.prefix = $1`,
      [prefix],
    )
  ).rows[0];
  keys.set(prefix, { at: Date.now(), key });
  return key;
}

const server = http.createServer(async (request, response) => {
  try {
    const url = new URL(request.url, 'http://localhost');
    if (url.pathname !== '/trpc/jobs.get') return send(response, 404, { error: 'not found' });
    const auth = KEY.exec(request.headers.authorization ?? '');
    if (!auth) return send(response, 401, { error: 'unauthorized' });
    const key = await keyOf(`dk_${auth[1]}`);
    const given = Buffer.from(sha256(auth[0].replace(/^Bearer\s+/i, '')), 'hex');
    if (!key || key.revoked_at || !timingSafeEqual(given, Buffer.from(key.hash, 'hex')))
      return send(response, 401, { error: 'unauthorized' });
    if (!key.last_used_at || Date.now() - key.last_used_at.getTime() > 60_000) {
      await pool.query(`update api_keys set last_used_at = now() where id = $1`, [key.id]);
    }
    const { id } = JSON.parse(url.searchParams.get('input') ?? '{}');
    const job = (await pool.query({ ...JOB, values: [id, key.user_id] })).rows[0];
    if (!job) return send(response, 404, { error: 'not found' });
    const { images, inputs } = job;
    let position = null;
    let estimatedWaitSeconds = null;
    if (job.status === 'queued') {
      position = Number(
        (
          await pool.query(
            `select count(*) as ahead from jobs where status = 'queued' and (queue_rank, created_at, id) < ($1::int, $2, $3::uuid)`,
            [job.queue_rank, job.created_at, job.id],
          )
        ).rows[0].ahead,
      );
      estimatedWaitSeconds = estimateWaitSeconds(position, await startRate());
    }
    send(response, 200, { result: { data: view(job, images, inputs, position, estimatedWaitSeconds) } });
  } catch (error) {
    send(response, 500, { error: error.message });
  }
});

async function startRate() {
  if (Date.now() - rate.at < 2000) return rate.value;
  const { rows } = await pool.query(`
    select count(*) as n, extract(epoch from (now() - min(started_at)))::float8 as span
    from (select started_at from jobs where started_at > now() - interval '5 minutes' order by started_at desc limit 100) recent`);
  const n = Number(rows[0].n);
  rate = { at: Date.now(), value: n >= 3 && rows[0].span > 0 ? n / rows[0].span : null };
  return rate.value;
}

function send(response, status, body) {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

const iso = (date) => date?.toISOString() ?? null;

function view(job, images, inputs, position, estimatedWaitSeconds) {
  return {
    id: job.id,
    batchId: job.batch_id,
    status: job.status,
    stage: job.stage,
    progress: job.progress,
    preset: job.preset,
    prompt: job.prompt,
    negativePrompt: job.negative_prompt,
    aspectRatio: job.aspect_ratio,
    style: job.style,
    seed: job.seed,
    numImages: job.num_images,
    priority: job.priority,
    provider: job.provider,
    model: job.model,
    engineOptions: job.engine_options ?? null,
    quality: job.quality,
    outputFormat: job.output_format,
    width: job.width,
    height: job.height,
    projectId: job.project_id,
    pageId: job.page_id,
    metadata: job.metadata ?? null,
    error: job.error_code
      ? { code: job.error_code, message: job.error_message ?? '', retryable: job.error_retryable ?? false }
      : null,
    attempts: job.attempts,
    queuePosition: position,
    estimatedWaitSeconds,
    startBy: iso(job.start_by),
    notBefore: iso(job.not_before),
    runTimeoutSeconds: job.run_timeout_s,
    counts: {
      succeeded: images.filter((image) => image.status === 'succeeded').length,
      failed: images.filter((image) => image.status === 'failed').length,
    },
    credits: { price: job.credit_price, reserved: job.credits_reserved, charged: job.credits_charged },
    images: images.map((image) => ({
      id: image.id,
      index: image.index,
      status: image.status,
      url: image.status === 'succeeded' && image.storage_key ? `/images/${image.id}` : null,
      thumbnailUrl: image.status === 'succeeded' && image.thumbnail_key ? `/images/${image.id}/thumbnail` : null,
      mime: image.mime,
      width: image.width,
      height: image.height,
      bytes: image.bytes,
      seed: image.seed,
      error: image.error_code ? { code: image.error_code, message: image.error_message ?? '', retryable: false } : null,
      prompt: image.prompt,
      attempts: image.attempts,
      progress: image.status === 'succeeded' ? 100 : image.progress,
      preview:
        image.status === 'running' && image.preview_version > 0
          ? {
              url: `/images/${image.id}/preview?v=${image.preview_version}`,
              step: image.preview_step,
              steps: image.preview_steps,
            }
          : null,
      model: image.model,
    })),
    references: job.references ?? [],
    kind: job.kind,
    inputs: inputs.map((input) => ({
      slot: input.slot,
      position: input.position,
      role: input.role,
      assetId: input.asset_id,
      imageId: input.image_id,
      url: `/inputs/${input.id}`,
      thumbnailUrl: input.thumbnail_key ? `/inputs/${input.id}/thumbnail` : null,
      mime: input.mime,
      width: input.width,
      height: input.height,
    })),
    inputOptions: job.input_options ?? null,
    parentImageId: job.parent_image_id,
    createdAt: iso(job.created_at),
    startedAt: iso(job.started_at),
    finishedAt: iso(job.finished_at),
    updatedAt: iso(job.updated_at),
    version: images.reduce((sum, image) => sum + image.version, job.version),
  };
}

server.listen(0, '127.0.0.1', () =>
  console.log(`bare status server listening on http://127.0.0.1:${server.address().port}`),
);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    void pool.end().then(() => process.exit(0));
  });
}
