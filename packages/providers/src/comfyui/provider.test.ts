import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETACH, type EngineProgress, type GenerateRequest, type VendorStatus } from '../provider.js';
import { providerFailure } from '../testing/expect-failure.js';
import { startFakeHttpServer, until } from '../testing/fake-http.js';
import { startFakeComfyUI, type FakeComfyUI } from '../testing/comfyui.js';
import { createComfyUIProvider, type ComfyUIProviderOptions } from './provider.js';
import { BUILTIN_TXT2IMG, loadWorkflowTemplates } from './workflow.js';

const AUTH = 'Bearer comfy-proxy-token-123';
const request: GenerateRequest = {
  prompt: 'a red fox in snow',
  negativePrompt: 'blurry',
  preset: 'photo',
  width: 80,
  height: 48,
  seed: 7,
};
let fake: FakeComfyUI;
beforeAll(async () => {
  fake = await startFakeComfyUI({ requiredHeader: AUTH });
});
afterAll(() => fake.close());

const provider = (extra: Partial<ComfyUIProviderOptions> = {}) =>
  createComfyUIProvider({ urls: [fake.url], auth: AUTH, pollIntervalMs: 10, steps: 6, ...extra });

async function deadUrl() {
  const server = await startFakeHttpServer(() => ({ status: 200 }));
  await server.close();
  return server.url;
}

describe('comfyui adapter', () => {
  it('fills the template, posts it with our client_id, and downloads the saved image', async () => {
    const progress: EngineProgress[] = [];
    const statuses: VendorStatus[] = [];
    const image = await provider({ cfg: 4.5, sampler: 'dpmpp_2m' }).generate({
      ...request,
      onProgress: (p) => progress.push(p),
      onVendorStatus: (s) => statuses.push(s),
    });

    const sent = fake.prompts.at(-1)!;
    expect(sent.clientId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent.prompt['6']!.inputs!.text).toBe(request.prompt);
    expect(sent.prompt['7']!.inputs!.text).toBe('blurry');
    expect(sent.prompt['5']!.inputs).toEqual({ width: 80, height: 48, batch_size: 1 });
    expect(sent.prompt['3']!.inputs).toMatchObject({ seed: 7, steps: 6, cfg: 4.5, sampler_name: 'dpmpp_2m' });
    expect(sent.prompt['4']!.inputs!.ckpt_name).toBe('v1-5-pruned-emaonly.safetensors');
    expect([image.mime, image.width, image.height, image.seed, image.providerRequestId]).toEqual([
      'image/png',
      80,
      48,
      7,
      `${sent.id} ${fake.url}`,
    ]);
    expect(progress.map((p) => p.value)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(statuses).toEqual([{ state: 'queued' }, { state: 'running' }]);
    expect(fake.requests.some((r) => r.path.startsWith('/view?filename=darkroom_'))).toBe(true);
  });

  it('passes a chosen model as the checkpoint, and names the node when ComfyUI refuses it', async () => {
    await provider().generate({ ...request, model: 'sdxl/sd_xl_base_1.0.safetensors' });
    expect(fake.prompts.at(-1)!.prompt['4']!.inputs!.ckpt_name).toBe('sdxl/sd_xl_base_1.0.safetensors');

    const error = await providerFailure(provider().generate({ ...request, model: 'nope.safetensors' }));
    expect([error.code, error.message]).toEqual([
      'invalid_request',
      expect.stringContaining("node 4 (CheckpointLoaderSimple): Value not in list: ckpt_name: 'nope.safetensors'"),
    ]);
  });

  it('turns node_errors for a bad value into invalid_request naming the node and input', async () => {
    const error = await providerFailure(provider({ steps: 0 }).generate(request));
    expect([error.code, error.message]).toEqual([
      'invalid_request',
      expect.stringContaining('node 3 (KSampler): Value 0 smaller than min of 1: steps'),
    ]);
  });

  it('deletes a canceled prompt from the queue while it waits', async () => {
    fake.stepMs = 30;
    const other = createComfyUIProvider({ urls: [fake.url], auth: AUTH, steps: 20 });
    const controller = new AbortController();
    try {
      const first = other.generate({ ...request, prompt: 'someone else' });
      await until(() => fake.running !== null);
      const queued = provider().generate({ ...request, signal: controller.signal });
      await until(() => fake.pending.length === 1);
      const id = fake.pending[0]!;
      controller.abort();

      expect((await providerFailure(queued)).code).toBe('canceled');
      expect(fake.deleted).toContain(id);
      expect(fake.interrupts).toEqual([]);
      expect((await first).width).toBe(80);
    } finally {
      fake.stepMs = 2;
    }
  });

  it('interrupts a canceled prompt by its id while it runs', async () => {
    fake.stepMs = 30;
    const controller = new AbortController();
    try {
      const running = provider({ steps: 200 }).generate({ ...request, signal: controller.signal });
      await until(() => fake.running !== null);
      const id = fake.running!;
      controller.abort();

      expect((await providerFailure(running)).code).toBe('canceled');
      expect(fake.interrupts).toContainEqual({ prompt_id: id });
      await until(() => fake.running === null);
    } finally {
      fake.stepMs = 2;
    }
  });

  it('maps execution_error (out of memory) to transient, naming the node', async () => {
    const error = await providerFailure(provider().generate({ ...request, prompt: 'explode' }));
    expect([error.code, error.message]).toEqual(['transient', expect.stringContaining('node 3 (KSampler) failed')]);
  });

  it('finishes from the history when the socket drops mid-image', async () => {
    fake.stepMs = 20;
    try {
      const running = provider({ steps: 15 }).generate(request);
      await until(() => fake.running !== null);
      fake.dropSockets();
      const image = await running;
      expect(image.width).toBe(80);
    } finally {
      fake.stepMs = 2;
    }
  });

  it('resumes a prompt another process queued, from the history, without queueing it again', async () => {
    fake.stepMs = 10;
    try {
      const requestId = await provider({ steps: 10 }).submit!(request);
      const prompts = fake.prompts.length;

      // A second adapter (the worker that took over) has no socket for it.
      const image = await provider().resume!(requestId, request);

      expect([image.width, image.providerRequestId, fake.prompts.length]).toEqual([80, requestId, prompts]);
    } finally {
      fake.stepMs = 2;
    }
  });

  it('ends a resumed prompt the server no longer knows, so the next attempt queues it anew', async () => {
    const error = await providerFailure(
      provider().resume!(`0b9d6f1e-0000-4000-8000-000000000000 ${fake.url}`, request),
    );
    expect([error.code, error.requestEnded]).toEqual(['transient', true]);
  });

  it('leaves the prompt running when the worker hands it over (DETACH)', async () => {
    fake.stepMs = 20;
    const controller = new AbortController();
    try {
      const running = provider({ steps: 30 }).generate({ ...request, signal: controller.signal });
      await until(() => fake.running !== null);
      const interrupts = fake.interrupts.length;
      controller.abort(DETACH);

      expect((await providerFailure(running)).code).toBe('canceled');
      expect(fake.interrupts.length).toBe(interrupts);
      await until(() => fake.running === null);
    } finally {
      fake.stepMs = 2;
    }
  });

  it('skips a dead instance, and fails transient when none is reachable', async () => {
    const before = fake.prompts.length;
    await provider({ urls: [await deadUrl(), fake.url] }).generate(request);
    expect(fake.prompts.length).toBe(before + 1);

    const error = await providerFailure(provider({ urls: [await deadUrl()] }).generate(request));
    expect([error.code, error.message]).toEqual(['transient', expect.stringContaining('no instance is reachable')]);
  });

  it('answers auth when the proxy in front refuses the header', async () => {
    const error = await providerFailure(provider({ auth: 'Bearer wrong-token-456' }).generate(request));
    expect(error.code).toBe('auth');
    expect(error.message).not.toContain('wrong-token');
  });

  it('refuses a job model when the template has no {{model}}', async () => {
    const graph = structuredClone(BUILTIN_TXT2IMG);
    graph['4']!.inputs.ckpt_name = 'v1-5-pruned-emaonly.safetensors';
    const dir = mkdtempSync(path.join(os.tmpdir(), 'comfy-workflows-'));
    writeFileSync(path.join(dir, 'fixed.json'), JSON.stringify(graph));
    const adapter = provider({ templates: loadWorkflowTemplates(dir), workflow: 'fixed' });

    expect(adapter.capabilities.models).toBe(false);
    const error = await providerFailure(adapter.generate({ ...request, model: 'x' }));
    expect([error.code, error.message]).toEqual([
      'invalid_request',
      expect.stringContaining('no {{model}} placeholder'),
    ]);
  });
});
