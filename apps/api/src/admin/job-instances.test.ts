/**
 * admin.jobInstances: the engine instance (host only) each running image of a job is on, recorded by the
 * worker when its pool chose one. Admins only: the job's owner and another user are refused, and the
 * owner's job view (tRPC and REST) never carries it.
 */
import { startFakeComfyUI, type FakeComfyUI } from '@darkroom/providers/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let comfyui: FakeComfyUI;
beforeAll(async () => {
  h = await makeHarness({ settings: { enabledProviders: ['local', 'comfyui'], prices: { local: 1, comfyui: 1 } } });
  // Slow steps: the image stays running long enough to be looked at.
  comfyui = await startFakeComfyUI({ stepMs: 150 });
  await h.startWorker({ PROVIDERS_ENABLED: 'local,comfyui', COMFYUI_URLS: comfyui.url, COMFYUI_STEPS: '40' });
});
afterAll(async () => {
  await h.close();
  await comfyui.close();
});

describe('admin.jobInstances', () => {
  it('shows admins the instance a running ComfyUI image is on, and no one else', async () => {
    const host = new URL(comfyui.url).host;
    const job = await h.caller.jobs.create({ prompt: 'a slow lighthouse', provider: 'comfyui' });

    const seen = await eventually(async () => {
      const { images } = await h.admin.caller.admin.jobInstances({ id: job.id });
      return images.length > 0 ? images : null;
    });
    expect(seen).toEqual([{ index: 0, instance: host }]);

    const other = await h.makeUser('other@darkroom.test');
    await expect(h.caller.admin.jobInstances({ id: job.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(other.caller.admin.jobInstances({ id: job.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const view = await h.caller.jobs.get({ id: job.id });
    expect(view.status).toBe('running');
    expect(JSON.stringify(view)).not.toContain(host);
    const rest = await h.inject({ method: 'GET', url: `/api/v1/jobs/${job.id}` });
    expect(rest.statusCode).toBe(200);
    expect(rest.body).not.toContain(host);

    // Once the image is no longer running, nothing is listed for it.
    await h.caller.jobs.cancel({ id: job.id });
    await eventually(async () => (await h.admin.caller.admin.jobInstances({ id: job.id })).images.length === 0);
  });

  it('lists nothing for a job that does not run on an engine', async () => {
    const job = await h.caller.jobs.create({ prompt: 'a quick local pier' });
    await eventually(async () => (await h.caller.jobs.get({ id: job.id })).status === 'succeeded');
    expect(await h.admin.caller.admin.jobInstances({ id: job.id })).toEqual({ images: [] });
  });
});
