/**
 * Each worker reports its engine instances into engine_instances: health-checked (a dead one down, a
 * live one healthy), by host only (never the URL's credentials), and its rows gone when it stops.
 */
import { createTestDatabase, type TestDatabase } from '@darkroom/db/testing';
import { startFakeComfyUI, type FakeComfyUI } from '@darkroom/providers/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportEngines, startEngineReports } from './engine-status.js';
import { loadWorkerConfig } from './env.js';
import { makeProviderRegistry } from './providers.js';

let database: TestDatabase;
let comfyui: FakeComfyUI;
beforeAll(async () => {
  database = await createTestDatabase();
  comfyui = await startFakeComfyUI();
});
afterAll(async () => {
  await comfyui.close();
  await database.drop();
});

describe('engine instance reports', () => {
  it('writes each instance by host with its health, and deletes them when the worker stops', async () => {
    const config = loadWorkerConfig({
      PROVIDERS_ENABLED: 'local,comfyui',
      COMFYUI_URLS: `http://admin:hunter2@127.0.0.1:9,${comfyui.url}`,
    });
    const registry = makeProviderRegistry(config);
    await reportEngines({ db: database.db, config, registry, workerId: 'w-report' });

    const rows = await database.db.engineInstance.findMany({ orderBy: { state: 'asc' } });
    // The engine's own queue (ComfyUI GET /queue: nothing running or waiting) where it answered.
    expect(rows.map((r) => [r.workerId, r.provider, r.host, r.state, r.inFlight, r.engineQueue])).toEqual([
      ['w-report', 'comfyui', '127.0.0.1:9', 'down', 0, null],
      ['w-report', 'comfyui', new URL(comfyui.url).host, 'healthy', 0, 0],
    ]);
    expect(JSON.stringify(rows)).not.toContain('hunter2');
    expect(rows[0]!.downUntil!.getTime()).toBeGreaterThan(Date.now());

    const reports = startEngineReports({
      db: database.db,
      config,
      registry,
      workerId: 'w-report',
      log: pino({ level: 'silent' }),
    });
    await reports.stop();
    expect(await database.db.engineInstance.count({ where: { workerId: 'w-report' } })).toBe(0);
  });
});
