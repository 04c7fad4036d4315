/**
 * The worker against the self-hosted engine adapters, configured from the environment as a deployment
 * would be, talking to fake A1111 and ComfyUI servers on 127.0.0.1: a job runs end to end on each, and
 * canceling a running job reaches the engine.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findJobView } from '@darkroom/db';
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { startFakeA1111, startFakeComfyUI, until, type FakeA1111, type FakeComfyUI } from '@darkroom/providers/testing';
import { createFilesystemStorage } from '@darkroom/storage';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './env.js';
import { runJob, type PipelineDeps } from './pipeline.js';
import { makeProviderRegistry, type ProviderRegistry } from './providers.js';

let database: TestDatabase;
let a1111: FakeA1111;
let comfyui: FakeComfyUI;
let registry: ProviderRegistry;
let userId: string;
const storage = createFilesystemStorage({ root: mkdtempSync(path.join(os.tmpdir(), 'darkroom-engines-test-')) });

beforeAll(async () => {
  database = await createTestDatabase();
  userId = (await database.db.user.create({ data: { email: 'engines@example.com' } })).id;
  a1111 = await startFakeA1111({ auth: 'gpu:pass-1234' });
  comfyui = await startFakeComfyUI();
  registry = makeProviderRegistry(
    loadWorkerConfig({
      PROVIDERS_ENABLED: 'local,a1111,comfyui',
      A1111_URLS: a1111.url,
      A1111_AUTH: 'gpu:pass-1234',
      A1111_STEPS: '4',
      COMFYUI_URLS: comfyui.url,
      COMFYUI_STEPS: '4',
      PROVIDER_POLL_INTERVAL_MS: '10',
    }),
  );
});
afterAll(async () => {
  await a1111.close();
  await comfyui.close();
  await database.drop();
});

async function queuedJob(provider: string, prompt: string, model?: string, engineOptions?: object) {
  return database.db.job.create({
    data: {
      ...(engineOptions ? { engineOptions } : {}),
      userId,
      preset: 'illustration',
      prompt,
      aspectRatio: '3:2',
      width: 96,
      height: 64,
      provider,
      model: model ?? null,
      numImages: 1,
      seed: 5,
      images: { create: [{ index: 0, seed: 5 }] },
    },
  });
}

const deps = (extra: Partial<PipelineDeps> = {}): PipelineDeps => ({
  db: database.db,
  storage,
  providerFor: registry.providerFor,
  log: pino({ level: 'silent' }),
  workerId: 'engines-test',
  imageConcurrency: 1,
  ...extra,
});

describe('runJob on self-hosted engines', () => {
  it.each(['a1111', 'comfyui'] as const)('runs a job end to end on %s and stores a real PNG', async (provider) => {
    const job = await queuedJob(provider, `a harbour at night on ${provider}`);

    await runJob(deps(), job.id);

    const view = await findJobView(database.db, { userId, jobId: job.id });
    expect(view?.status).toBe('succeeded');
    const image = await database.db.image.findFirstOrThrow({ where: { jobId: job.id } });
    expect([image.status, image.mime, image.width, image.height]).toEqual(['succeeded', 'image/png', 96, 64]);
    const stored = await storage.get(image.storageKey!);
    expect((await sharp(stored!.body).metadata()).format).toBe('png');
    if (provider === 'a1111')
      expect(a1111.jobs.at(-1)!.body).toMatchObject({ prompt: expect.stringContaining('harbour'), steps: 4, seed: 5 });
    else expect(comfyui.prompts.at(-1)!.prompt['3']!.inputs).toMatchObject({ steps: 4, seed: 5 });
  });

  it('passes the job model to each engine as its checkpoint', async () => {
    const onA1111 = await queuedJob('a1111', 'a pier', 'sdxl_sd_xl_base_1.0');
    const onComfy = await queuedJob('comfyui', 'a pier', 'sdxl/sd_xl_base_1.0.safetensors');

    await runJob(deps(), onA1111.id);
    await runJob(deps(), onComfy.id);

    expect(a1111.jobs.at(-1)!.body.override_settings).toEqual({
      sd_model_checkpoint: 'sdxl/sd_xl_base_1.0.safetensors [31e35c80fc]',
    });
    expect(comfyui.prompts.at(-1)!.prompt['4']!.inputs!.ckpt_name).toBe('sdxl/sd_xl_base_1.0.safetensors');
    const statuses = await database.db.image.findMany({ where: { jobId: { in: [onA1111.id, onComfy.id] } } });
    expect(statuses.map((image) => image.status)).toEqual(['succeeded', 'succeeded']);
  });

  it('passes the job LoRAs, steps, guidance and sampler to each engine, and records the model used', async () => {
    const options = { steps: 7, guidance: 3 };
    const onA1111 = await queuedJob('a1111', 'a quay', undefined, {
      ...options,
      sampler: 'DDIM',
      loras: [{ name: 'add_detail', weight: 0.5 }],
    });
    const onComfy = await queuedJob('comfyui', 'a quay', 'sdxl/sd_xl_base_1.0.safetensors', {
      ...options,
      sampler: 'heun',
      loras: [{ name: 'detail-tweaker.safetensors', weight: 0.5 }],
    });

    await runJob(deps(), onA1111.id);
    await runJob(deps(), onComfy.id);

    expect(a1111.jobs.at(-1)!.body).toMatchObject({ steps: 7, cfg_scale: 3, sampler_name: 'DDIM' });
    expect(a1111.jobs.at(-1)!.loras).toEqual([{ name: 'add_detail', weight: 0.5 }]);
    const graph = comfyui.prompts.at(-1)!.prompt;
    expect(graph['3']!.inputs).toMatchObject({ steps: 7, cfg: 3, sampler_name: 'heun' });
    expect(graph.darkroom_lora_1!.inputs).toMatchObject({ lora_name: 'detail-tweaker.safetensors' });
    const a1111View = await findJobView(database.db, { userId, jobId: onA1111.id });
    const comfyView = await findJobView(database.db, { userId, jobId: onComfy.id });
    // A1111 reports the model it ran; ComfyUI runs the one it was asked for.
    expect([a1111View?.images[0]?.model, comfyView?.images[0]?.model]).toEqual([
      'v1-5-pruned-emaonly',
      'sdxl/sd_xl_base_1.0.safetensors',
    ]);
    expect(comfyView?.engineOptions).toMatchObject({ steps: 7, sampler: 'heun' });
  });

  it('fails the image as invalid_request when the engine does not have the model', async () => {
    const job = await queuedJob('a1111', 'a pier', 'missing-model');

    await runJob(deps(), job.id);

    const image = await database.db.image.findFirstOrThrow({ where: { jobId: job.id } });
    expect([image.status, image.errorCode]).toEqual(['failed', 'invalid_request']);
    expect(image.errorMessage).toContain('v1-5-pruned-emaonly');
  });

  it('resumes a ComfyUI prompt a crashed worker queued, without queueing it again', async () => {
    const job = await queuedJob('comfyui', 'a lighthouse, resumed');
    // The first worker queued the prompt, recorded its id, and died while waiting.
    const requestId = await registry.providerFor('comfyui').submit!({
      prompt: 'a lighthouse, resumed',
      preset: 'illustration',
      width: 96,
      height: 64,
      seed: 5,
    });
    await database.db.job.update({
      where: { id: job.id },
      data: { status: 'running', startedAt: new Date(), attempts: 1 },
    });
    const image = await database.db.image.findFirstOrThrow({ where: { jobId: job.id } });
    await database.db.image.update({
      where: { id: image.id },
      data: { status: 'running', startedAt: new Date(), attempts: 1, providerRequestId: requestId },
    });
    const prompts = comfyui.prompts.length;

    await runJob(deps(), job.id);

    const done = await database.db.image.findUniqueOrThrow({ where: { id: image.id } });
    expect([done.status, done.providerRequestId, comfyui.prompts.length - prompts]).toEqual([
      'succeeded',
      requestId,
      0,
    ]);
  });

  it('finishes the image on the second ComfyUI instance when the first dies mid-image', async () => {
    const dying = await startFakeComfyUI({ stepMs: 50 });
    const healthy = await startFakeComfyUI();
    try {
      const pool = makeProviderRegistry(
        loadWorkerConfig({
          PROVIDERS_ENABLED: 'local,comfyui',
          COMFYUI_URLS: `${dying.url},${healthy.url}`,
          COMFYUI_STEPS: '40',
          PROVIDER_POLL_INTERVAL_MS: '10',
        }),
      );
      const job = await queuedJob('comfyui', 'a storm');
      const running = runJob(
        deps({
          providerFor: pool.providerFor,
          imageRetry: { maxAttempts: 3, baseMs: 1, capMs: 5, maxRetryAfterMs: 5 },
        }),
        job.id,
      );
      await until(() => dying.running !== null);
      await dying.close();
      await running;

      const image = await database.db.image.findFirstOrThrow({ where: { jobId: job.id } });
      expect([image.status, image.attempts, healthy.prompts.length]).toEqual(['succeeded', 2, 1]);
    } finally {
      await healthy.close();
    }
  });

  // Steps of 10 s: the image cannot finish before the cancel reaches it however loaded the machine is,
  // and the fake ends the step at once when interrupted.
  it('canceling a running a1111 job interrupts the server', async () => {
    a1111.stepMs = 10_000;
    try {
      const job = await queuedJob('a1111', 'a long exposure');
      const interrupts = a1111.interrupts;
      const running = runJob(deps({ cancelCheckMs: 20 }), job.id);
      await until(() => a1111.running !== null);
      await database.db.job.update({ where: { id: job.id }, data: { cancelRequestedAt: new Date() } });
      await running;

      expect((await database.db.job.findUniqueOrThrow({ where: { id: job.id } })).status).toBe('canceled');
      await until(() => a1111.interrupts === interrupts + 1);
    } finally {
      a1111.stepMs = 2;
    }
  });

  it('canceling a running comfyui job interrupts that prompt', async () => {
    comfyui.stepMs = 10_000;
    try {
      const job = await queuedJob('comfyui', 'a slow tide');
      const running = runJob(deps({ cancelCheckMs: 20 }), job.id);
      await until(() => comfyui.running !== null);
      const id = comfyui.running!;
      await database.db.job.update({ where: { id: job.id }, data: { cancelRequestedAt: new Date() } });
      await running;

      expect((await database.db.job.findUniqueOrThrow({ where: { id: job.id } })).status).toBe('canceled');
      expect(comfyui.interrupts).toContainEqual({ prompt_id: id });
    } finally {
      comfyui.stepMs = 2;
    }
  });
});
