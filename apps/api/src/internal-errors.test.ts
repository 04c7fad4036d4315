import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

describe('an unexpected failure inside a procedure', () => {
  it('answers 500 INTERNAL_SERVER_ERROR without the failing query, file or line in the message', async () => {
    const job = await h.caller.jobs.create({ prompt: 'a lighthouse', provider: 'mock' });
    // Something the code does not expect: a table it reads is gone (this test file's own database).
    await h.db.$executeRawUnsafe('drop table webhook_deliveries');
    const response = await h.inject({
      method: 'GET',
      url: `/trpc/jobs.webhookDeliveries?input=${encodeURIComponent(JSON.stringify({ id: job.id }))}`,
    });
    expect(response.statusCode).toBe(500);
    const { error } = response.json();
    expect(error.message).toBe('something went wrong inside Darkroom');
    expect(error.data.code).toBe('INTERNAL_SERVER_ERROR');
    expect(response.body).not.toMatch(/webhook_deliveries|\.ts:\d+|prisma/i);
  });

  it('never carries a stack trace, whatever the error', async () => {
    const responses = [
      await h.inject({
        method: 'GET',
        url: `/trpc/jobs.get?input=${encodeURIComponent(JSON.stringify({ id: '00000000-0000-4000-8000-000000000000' }))}`,
      }),
      await h.inject({
        method: 'POST',
        url: '/trpc/jobs.create',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ prompt: '' }),
      }),
    ];
    expect(responses.map((response) => response.statusCode)).toEqual([404, 400]);
    for (const response of responses) {
      expect(response.json().error.data).not.toHaveProperty('stack');
      expect(response.body).not.toMatch(/node_modules|\.ts:\d+|at [A-Za-z.]+ \(/);
    }
  });
});
