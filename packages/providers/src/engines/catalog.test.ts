import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createA1111Provider } from '../a1111/provider.js';
import { createComfyUIProvider } from '../comfyui/provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { startFakeHttpServer } from '../testing/fake-http.js';
import { FAKE_A1111_LORAS, startFakeA1111, type FakeA1111 } from '../testing/a1111.js';
import { startFakeComfyUI, type FakeComfyUI } from '../testing/comfyui.js';
import { FAKE_COMFY_CHECKPOINTS, FAKE_COMFY_LORAS, FAKE_COMFY_SAMPLERS } from '../testing/comfyui-nodes.js';

let comfy: FakeComfyUI;
let a1111: FakeA1111;
let dead: string;
beforeAll(async () => {
  comfy = await startFakeComfyUI();
  a1111 = await startFakeA1111({ auth: 'u:secret-pass' });
  const server = await startFakeHttpServer(() => ({ status: 200 }));
  await server.close();
  dead = server.url;
});
afterAll(async () => {
  await comfy.close();
  await a1111.close();
});

describe('engine catalogs', () => {
  it('reads ComfyUI checkpoints, LoRAs and samplers from /object_info, skipping an unreachable instance', async () => {
    const catalog = await createComfyUIProvider({ urls: [dead, comfy.url] }).catalog!();
    expect(catalog).toEqual({
      models: [...FAKE_COMFY_CHECKPOINTS].sort(),
      loras: [...FAKE_COMFY_LORAS].sort(),
      samplers: [...FAKE_COMFY_SAMPLERS].sort(),
    });
    expect(comfy.requests.map((r) => r.path)).toEqual(
      expect.arrayContaining([
        '/object_info/CheckpointLoaderSimple',
        '/object_info/LoraLoader',
        '/object_info/KSampler',
      ]),
    );
  });

  it('reads A1111 sd-models (file names), loras and samplers', async () => {
    const catalog = await createA1111Provider({ urls: [a1111.url], auth: 'u:secret-pass' }).catalog!();
    expect(catalog).toEqual({
      models: ['sdxl/sd_xl_base_1.0.safetensors', 'v1-5-pruned-emaonly.safetensors'],
      loras: [...FAKE_A1111_LORAS].sort(),
      samplers: ['DDIM', 'DPM++ 2M', 'Euler', 'Euler a'],
    });
  });

  it('fails transient when no instance answers', async () => {
    const error = await providerFailure(createComfyUIProvider({ urls: [dead] }).catalog!());
    expect([error.code, error.message]).toEqual(['transient', 'comfyui: no instance answered for its catalog']);
  });
});
