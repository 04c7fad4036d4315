/** admin.engines lists the engine instances live workers reported, for admins only. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

describe('admin.engines', () => {
  it('lists the instances live workers report, leaving out stale reports; ordinary users are refused', async () => {
    const now = new Date();
    await h.db.engineInstance.createMany({
      data: [
        {
          workerId: 'w1',
          provider: 'comfyui',
          host: 'gpu1:8188',
          state: 'healthy',
          inFlight: 1,
          jobIds: ['0190a000-0000-7000-8000-000000000001'],
          engineQueue: 3,
          updatedAt: now,
        },
        {
          workerId: 'w1',
          provider: 'a1111',
          host: 'gpu3:7860',
          state: 'down',
          downUntil: new Date(now.getTime() + 30_000),
          inFlight: 0,
          jobIds: [],
          updatedAt: now,
        },
        // A worker killed ten minutes ago.
        {
          workerId: 'gone',
          provider: 'comfyui',
          host: 'gpu2:8188',
          state: 'healthy',
          inFlight: 1,
          jobIds: [],
          updatedAt: new Date(now.getTime() - 600_000),
        },
      ],
    });

    const { instances } = await h.admin.caller.admin.engines();
    expect(instances.map((i) => [i.provider, i.host, i.state, i.inFlight, i.jobIds.length, i.engineQueue])).toEqual([
      ['a1111', 'gpu3:7860', 'down', 0, 0, null],
      ['comfyui', 'gpu1:8188', 'healthy', 1, 1, 3],
    ]);
    expect(instances[0]!.downUntil).not.toBeNull();
    await expect(h.caller.admin.engines()).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
