import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createA1111Provider } from '../a1111/provider.js';
import { createComfyUIProvider } from '../comfyui/provider.js';
import { startFakeA1111, type FakeA1111 } from '../testing/a1111.js';
import { startFakeComfyUI, type FakeComfyUI } from '../testing/comfyui.js';
import { startFakeHttpServer, until } from '../testing/fake-http.js';

let comfy: FakeComfyUI;
let a1111: FakeA1111;
let dead: string;
beforeAll(async () => {
  comfy = await startFakeComfyUI({ stepMs: 30 });
  a1111 = await startFakeA1111({ auth: 'u:pass-word' });
  const server = await startFakeHttpServer(() => ({ status: 200 }));
  await server.close();
  dead = server.url;
});
afterAll(async () => {
  await comfy.close();
  await a1111.close();
});

describe('engine health checks', () => {
  it('marks an instance that does not answer down and one that does up, with the job each is making', async () => {
    const provider = createComfyUIProvider({ urls: [dead, comfy.url], pollIntervalMs: 10, steps: 20 });
    const running = provider.generate({ prompt: 'a', preset: 'photo', width: 64, height: 64, seed: 1, jobId: 'job-7' });
    await until(() => comfy.running !== null);
    const states = await provider.checkHealth!();
    expect(states.map((s) => [s.url, s.downUntil === null, s.busy, s.jobIds])).toEqual([
      [dead, false, 0, []],
      [comfy.url, true, 1, ['job-7']],
    ]);
    expect(comfy.requests.some((r) => r.path === '/system_stats')).toBe(true);
    await running;
    expect((await provider.checkHealth!())[1]!.jobIds).toEqual([]);
  });

  it('puts a down instance back once it answers again, on A1111 by /internal/ping', async () => {
    const provider = createA1111Provider({ urls: [a1111.url], auth: 'u:pass-word', downForMs: 60_000 });
    a1111.replyOnce('GET', /^\/internal\/ping/, { status: 502, body: 'bad gateway' });
    expect((await provider.checkHealth!())[0]!.downUntil).not.toBeNull();
    expect((await provider.checkHealth!())[0]!.downUntil).toBeNull();
    expect(a1111.requests.filter((r) => r.path === '/internal/ping')).toHaveLength(2);
  });
});
