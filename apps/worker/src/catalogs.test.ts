/**
 * Workers write what each provider offers into provider_catalogs: the engines' lists read from fake
 * ComfyUI and A1111 servers, hosted vendors' lists from configuration; an engine that does not answer
 * keeps its previous row.
 */
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import {
  FAKE_A1111_LORAS,
  startFakeA1111,
  startFakeComfyUI,
  type FakeA1111,
  type FakeComfyUI,
} from '@darkroom/providers/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshCatalogs } from './catalogs.js';
import { loadWorkerConfig } from './env.js';
import { makeProviderRegistry } from './providers.js';

let database: TestDatabase;
let a1111: FakeA1111;
let comfyui: FakeComfyUI;
beforeAll(async () => {
  database = await createTestDatabase();
  a1111 = await startFakeA1111();
  comfyui = await startFakeComfyUI();
});
afterAll(async () => {
  await a1111.close();
  await comfyui.close();
  await database.drop();
});

const configWith = (env: Record<string, string>) =>
  loadWorkerConfig({
    PROVIDERS_ENABLED: 'local,a1111,comfyui,openai',
    OPENAI_API_KEY: 'sk-test-catalog-1234',
    OPENAI_MODELS: 'gpt-image-1-mini, dall-e-3',
    A1111_URLS: a1111.url,
    COMFYUI_URLS: comfyui.url,
    COMFYUI_MODEL: 'sdxl/sd_xl_base_1.0.safetensors',
    ...env,
  });

async function refresh(env: Record<string, string> = {}) {
  const config = configWith(env);
  await refreshCatalogs({
    db: database.db,
    config,
    registry: makeProviderRegistry(config),
    workerId: 'catalog-test',
    log: pino({ level: 'silent' }),
  });
}

describe('provider catalogs', () => {
  it('writes engine catalogs read from the engines and hosted ones from configuration', async () => {
    await refresh();
    const rows = await database.db.providerCatalog.findMany({ orderBy: { provider: 'asc' } });
    expect(rows.map((r) => [r.provider, r.source, r.defaultModel])).toEqual([
      ['a1111', 'engine', null],
      ['comfyui', 'engine', 'sdxl/sd_xl_base_1.0.safetensors'],
      ['local', 'config', null],
      ['openai', 'config', 'gpt-image-1'],
    ]);
    const byName = Object.fromEntries(rows.map((r) => [r.provider, r]));
    expect(byName.openai!.models).toEqual(['gpt-image-1', 'gpt-image-1-mini', 'dall-e-3']);
    expect(byName.a1111!.loras).toEqual([...FAKE_A1111_LORAS].sort());
    expect(byName.comfyui!.models).toContain('v1-5-pruned-emaonly.safetensors');
    expect(byName.comfyui!.samplers).toContain('dpmpp_2m');
  });

  it('keeps the previous catalog of an engine that does not answer', async () => {
    const before = await database.db.providerCatalog.findUniqueOrThrow({ where: { provider: 'a1111' } });
    await refresh({ A1111_URLS: 'http://127.0.0.1:9' });
    const after = await database.db.providerCatalog.findUniqueOrThrow({ where: { provider: 'a1111' } });
    expect([after.models, after.refreshedAt]).toEqual([before.models, before.refreshedAt]);
  });

  it('refuses a model list over its bounds when the worker starts', () => {
    expect(() => configWith({ OPENAI_MODELS: 'm'.repeat(201) })).toThrow('at most 200 characters');
  });
});
