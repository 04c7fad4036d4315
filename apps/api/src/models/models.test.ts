/**
 * Catalogs as the workers wrote them: listed over tRPC, REST and the OpenAI face (`provider/model` ids),
 * and a job naming a model, LoRA or sampler its engine lacks refused at submit, listing what it has,
 * with nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';
import { refusalOf } from '../../test/refusal.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({
    settings: {
      startingCredits: 80,
      enabledProviders: ['local', 'comfyui', 'openai'],
      prices: { local: 1, comfyui: 1, openai: 1, 'comfyui/sd_xl_base_1.0.safetensors': 3 },
    },
  });
  const written = { workerId: 'w1', refreshedAt: new Date('2026-12-05T10:00:00Z') };
  await h.db.providerCatalog.createMany({
    data: [
      {
        provider: 'comfyui',
        models: ['sd_xl_base_1.0.safetensors', 'v1-5-pruned-emaonly.safetensors'],
        loras: ['detail.safetensors'],
        samplers: ['euler', 'dpmpp_2m'],
        defaultModel: null,
        source: 'engine',
        ...written,
      },
      {
        provider: 'openai',
        models: ['gpt-image-1', 'dall-e-3'],
        loras: [],
        samplers: [],
        defaultModel: 'gpt-image-1',
        source: 'config',
        ...written,
      },
      // Written by a worker of another deployment: not enabled here, not listed.
      { provider: 'a1111', models: ['x'], loras: [], samplers: [], source: 'engine', ...written },
    ],
  });
});
afterAll(() => h.close());

describe('models', () => {
  it('models.list and GET /api/v1/models list the enabled providers catalogs', async () => {
    const listed = await h.caller.models.list();
    expect(listed.providers.map((p) => [p.provider, p.source, p.models.length])).toEqual([
      ['comfyui', 'engine', 2],
      ['openai', 'config', 2],
    ]);
    expect(listed.providers[0]).toMatchObject({
      loras: ['detail.safetensors'],
      refreshedAt: '2026-12-05T10:00:00.000Z',
    });
    const rest = await h.inject({ method: 'GET', url: '/api/v1/models' });
    expect(rest.statusCode).toBe(200);
    expect(rest.json()).toEqual(listed);
  });

  it('GET /v1/models lists providers, then provider/model ids', async () => {
    const response = await h.inject({ method: 'GET', url: '/v1/models' });
    expect(response.json().data.map((m: { id: string }) => m.id)).toEqual([
      'local',
      'comfyui',
      'openai',
      'comfyui/sd_xl_base_1.0.safetensors',
      'comfyui/v1-5-pruned-emaonly.safetensors',
      'openai/gpt-image-1',
      'openai/dall-e-3',
    ]);
  });

  it('prices a job by its model where CREDIT_PRICES names it (comfyui/<model>:3), else by its provider', async () => {
    const sdxl = await h.caller.jobs.create({ prompt: 'a', provider: 'comfyui', model: 'sd_xl_base_1.0.safetensors' });
    const plain = await h.caller.jobs.create({
      prompt: 'a',
      provider: 'comfyui',
      model: 'v1-5-pruned-emaonly.safetensors',
    });
    const rows = await h.db.job.findMany({ where: { id: { in: [sdxl.id, plain.id] } }, orderBy: { createdAt: 'asc' } });
    expect(rows.map((row) => [row.creditPrice, row.creditsReserved])).toEqual([
      [3, 3],
      [1, 1],
    ]);
  });

  it('accepts a job naming what the engine has', async () => {
    const job = await h.caller.jobs.create({
      prompt: 'a pier',
      provider: 'comfyui',
      model: 'sd_xl_base_1.0.safetensors',
      loras: [{ name: 'detail.safetensors', weight: 0.5 }],
      sampler: 'dpmpp_2m',
    });
    expect(job.status).toBe('queued');
  });

  it.each([
    [
      { model: 'nope.safetensors' },
      'model',
      'comfyui has no model "nope.safetensors"; it has: sd_xl_base_1.0.safetensors, v1-5-pruned-emaonly.safetensors',
    ],
    [{ loras: [{ name: 'missing' }] }, 'loras.0.name', 'comfyui has no LoRA "missing"; it has: detail.safetensors'],
    [{ sampler: 'warp' }, 'sampler', 'comfyui has no sampler "warp"; it has: euler, dpmpp_2m'],
  ])('refuses %j, naming the field and listing what the engine has, nothing written', async (extra, field, message) => {
    const before = await h.db.job.count();
    const error = await refusalOf(h.caller.jobs.create({ prompt: 'a pier', provider: 'comfyui', ...extra }));
    expect([error?.code, error?.message]).toEqual(['BAD_REQUEST', message]);
    const rest = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: { prompt: 'x', provider: 'comfyui', ...extra },
    });
    expect(rest.json().error).toMatchObject({ code: 'BAD_INPUT', details: { field } });
    const batch = await refusalOf(
      h.caller.jobs.createBatch({ requests: [{ prompt: 'ok' }, { prompt: 'no', provider: 'comfyui', ...extra }] }),
    );
    expect(batch?.message).toBe(message);
    expect(await h.db.job.count()).toBe(before);
  });

  it('the OpenAI face takes provider/model and refuses a model the engine lacks', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/v1/images/generations',
      payload: { prompt: 'a pier', model: 'comfyui/nope.safetensors' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      param: 'model',
      message: expect.stringContaining('comfyui has no model'),
    });
    const unknown = await h.inject({
      method: 'POST',
      url: '/v1/images/generations',
      payload: { prompt: 'a', model: 'dall-e-3' },
    });
    expect(unknown.json().error.message).toContain('or provider/model');
  });
});
