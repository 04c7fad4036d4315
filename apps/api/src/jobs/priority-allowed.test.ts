/**
 * Priority is not free: urgent and high go ahead of every other account's normal jobs, so with the
 * default PRIORITY_ALLOWED (low,normal) only admins may ask for them. Refused before anything is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({ settings: { allowedPriorities: ['low', 'normal'] } });
});
afterAll(() => h.close());

describe('PRIORITY_ALLOWED', () => {
  it('refuses urgent and high from an ordinary account over tRPC, REST and in a batch, naming the field, writing nothing', async () => {
    const before = (await h.caller.credits.get()).balance;
    for (const priority of ['urgent', 'high'] as const) {
      const error = (await h.caller.jobs.create({ prompt: 'me first', priority }).catch((e: unknown) => e)) as {
        code: string;
        message: string;
      };
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toBe(`priority ${priority} is for admins here; you may use low, normal`);
    }
    const rest = await h.inject({
      method: 'POST',
      url: '/api/v1/generations',
      payload: { prompt: 'me first', priority: 'urgent' },
    });
    expect(rest.statusCode).toBe(403);
    expect(rest.json().error).toMatchObject({
      code: 'FORBIDDEN',
      details: { field: 'priority', allowed: ['low', 'normal'] },
    });
    const batch = (await h.caller.jobs
      .createBatch({ requests: [{ prompt: 'fine' }, { prompt: 'me first', priority: 'high' }] })
      .catch((e: unknown) => e)) as { code: string };
    expect(batch.code).toBe('FORBIDDEN');
    expect(await h.db.job.count({ where: { userId: h.user.id } })).toBe(0);
    expect((await h.caller.credits.get()).balance).toBe(before);
  });

  it('lets ordinary accounts use low and normal, and admins any; credits.prices says which', async () => {
    expect((await h.caller.jobs.create({ prompt: 'my turn', priority: 'low' })).priority).toBe('low');
    expect((await h.caller.credits.prices()).priorities).toEqual(['low', 'normal']);
    expect((await h.admin.caller.jobs.create({ prompt: 'ops', priority: 'urgent' })).priority).toBe('urgent');
    expect((await h.admin.caller.credits.prices()).priorities).toEqual(['low', 'normal', 'high', 'urgent']);
  });
});
