import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createA1111Provider } from '../a1111/provider.js';
import { comfyQueueLength, createComfyUIProvider } from '../comfyui/provider.js';
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
  it('marks an instance that does not answer down and one that does up, with the job each is making and its queue', async () => {
    const before = comfy.prompts.length;
    const provider = createComfyUIProvider({ urls: [dead, comfy.url], pollIntervalMs: 10, steps: 20 });
    const running = provider.generate({ prompt: 'a', preset: 'photo', width: 64, height: 64, seed: 1, jobId: 'job-7' });
    await until(() => comfy.running !== null);
    // Another client of the same ComfyUI (another worker, or someone on its own UI) queues behind it.
    const other = createComfyUIProvider({ urls: [comfy.url], pollIntervalMs: 10, steps: 2 });
    const behind = other.generate({ prompt: 'b', preset: 'photo', width: 64, height: 64, seed: 2, jobId: 'job-8' });
    await until(() => comfy.prompts.length === before + 2);
    const states = await provider.checkHealth!();
    expect(states.map((s) => [s.url, s.downUntil === null, s.busy, s.jobIds, s.queue])).toEqual([
      [dead, false, 0, [], null],
      [comfy.url, true, 1, ['job-7'], 2],
    ]);
    expect(comfy.requests.some((r) => r.path === '/queue' && r.method === 'GET')).toBe(true);
    await Promise.all([running, behind]);
    expect((await provider.checkHealth!())[1]).toMatchObject({ jobIds: [], queue: 0 });
  });

  it("reads the queue length from ComfyUI's answer, null when it is not that shape", () => {
    expect(comfyQueueLength({ queue_running: [[1]], queue_pending: [[2], [3]] })).toBe(3);
    expect(comfyQueueLength({ queue_running: [] })).toBeNull();
    expect(comfyQueueLength('<html>')).toBeNull();
    expect(comfyQueueLength(null)).toBeNull();
  });

  it('puts a down instance back once it answers again, on A1111 by /internal/ping', async () => {
    const provider = createA1111Provider({ urls: [a1111.url], auth: 'u:pass-word', downForMs: 60_000 });
    a1111.replyOnce('GET', /^\/internal\/ping/, { status: 502, body: 'bad gateway' });
    expect((await provider.checkHealth!())[0]!.downUntil).not.toBeNull();
    expect((await provider.checkHealth!())[0]!.downUntil).toBeNull();
    expect(a1111.requests.filter((r) => r.path === '/internal/ping')).toHaveLength(2);
    // A1111 has no queue endpoint: its queue is not known, rather than guessed.
    expect((await provider.checkHealth!())[0]!.queue).toBeNull();
  });
});
