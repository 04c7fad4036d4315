/**
 * `GenerateRequest.onInstance`: each engine adapter tells the caller every instance it sends an image
 * to, the one that failed and then the one that made it, so the admins' view follows a retry.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createA1111Provider } from '../a1111/provider.js';
import { createComfyUIProvider } from '../comfyui/provider.js';
import type { GenerateRequest } from '../provider.js';
import { startFakeA1111, type FakeA1111 } from '../testing/a1111.js';
import { startFakeComfyUI, type FakeComfyUI } from '../testing/comfyui.js';

let comfyui: FakeComfyUI;
let a1111: FakeA1111;
let dead: string;
beforeAll(async () => {
  [comfyui, a1111] = await Promise.all([startFakeComfyUI(), startFakeA1111()]);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  dead = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterAll(async () => {
  await Promise.all([comfyui.close(), a1111.close()]);
});

const request: GenerateRequest = { prompt: 'a lamp', preset: 'photo', width: 64, height: 64, seed: 1 };

describe('the instance an engine image is sent to', () => {
  it.each([
    [
      'comfyui',
      () => createComfyUIProvider({ urls: [dead, comfyui.url], pollIntervalMs: 10, steps: 2 }),
      () => comfyui.url,
    ],
    ['a1111', () => createA1111Provider({ urls: [dead, a1111.url], pollIntervalMs: 10, steps: 2 }), () => a1111.url],
  ])('%s: tells the dead instance it tried, then the one that made the image', async (_, make, live) => {
    const told: string[] = [];
    await make().generate({ ...request, onInstance: (url) => told.push(url) });
    expect(told[0]).toBe(dead);
    expect(told.at(-1)).toBe(live());
  });
});
