/**
 * Sign-up as a stranger would abuse it, over HTTP: one batched request of many sign-ups, many sign-ups
 * from one address, and accounts made only to collect starting credits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';
import { callTrpc } from '../../test/http.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({
    settings: { startingCredits: 100, signUpsPerIpPerHour: 6, fundedSignUpsPerIpPerDay: 3, trpcMaxBatchSize: 10 },
  });
});
afterAll(() => h.close());

const accounts = () => h.db.user.count();

describe('sign-up abuse', () => {
  it('refuses a tRPC batch of more than TRPC_MAX_BATCH_SIZE calls whole, creating no account', async () => {
    const server = await h.server();
    const before = await accounts();
    const calls = Array.from({ length: 50 }, (_, i) => i);
    const response = await server.inject({
      method: 'POST',
      url: `/trpc/${calls.map(() => 'auth.signUp').join(',')}?batch=1`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(
        Object.fromEntries(calls.map((i) => [i, { email: `batch${i}@example.com`, password: 'a batch password' }])),
      ),
      remoteAddress: '203.0.113.50',
    });
    expect(response.statusCode).toBe(400);
    expect(JSON.stringify(response.json())).toMatch(/Batch call exceeds maximum size/);
    expect(await accounts()).toBe(before);
  });

  it('counts sign-ups per address: past the hourly cap they are TOO_MANY_REQUESTS with Retry-After, other addresses unaffected', async () => {
    const server = await h.server();
    const before = await accounts();
    const answers = [];
    for (let i = 0; i < 8; i++) {
      answers.push(
        await callTrpc(
          server,
          'auth.signUp',
          { email: `many${i}@example.com`, password: 'a fine password' },
          { remoteAddress: '198.51.100.7' },
        ),
      );
    }
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    expect(Number(answers[6]!.headers['retry-after'])).toBeGreaterThan(0);
    expect(answers[6]!.error?.message).toMatch(/more than 6 accounts created from this address in an hour/);
    expect(await accounts()).toBe(before + 6);
    // The same burst batched into one request is counted call by call.
    const batched = await server.inject({
      method: 'POST',
      url: '/trpc/auth.signUp,auth.signUp?batch=1',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        0: { email: 'b0@example.com', password: 'a fine password' },
        1: { email: 'b1@example.com', password: 'a fine password' },
      }),
      remoteAddress: '198.51.100.7',
    });
    expect(
      (batched.json() as { error?: { data: { httpStatus: number } } }[]).map((answer) => answer.error?.data.httpStatus),
    ).toEqual([429, 429]);
    const elsewhere = await callTrpc(
      server,
      'auth.signUp',
      { email: 'elsewhere@example.com', password: 'a fine password' },
      { remoteAddress: '198.51.100.8' },
    );
    expect(elsewhere.status).toBe(200);
  });

  it('gives starting credits to the first FUNDED_SIGNUPS_PER_IP_PER_DAY accounts of an address, and 0 to the rest', async () => {
    const server = await h.server();
    const balances = [];
    for (let i = 0; i < 5; i++) {
      const answer = await callTrpc(
        server,
        'auth.signUp',
        { email: `farm${i}@example.com`, password: 'a fine password' },
        { remoteAddress: '192.0.2.99' },
      );
      expect(answer.status).toBe(200);
      balances.push((answer.data as { creditBalance: number }).creditBalance);
    }
    expect(balances).toEqual([100, 100, 100, 0, 0]);
    // The ledger agrees: no grant was written for the unfunded ones.
    const unfunded = await h.db.user.findUniqueOrThrow({ where: { email: 'farm4@example.com' }, select: { id: true } });
    expect(await h.db.creditEntry.count({ where: { userId: unfunded.id } })).toBe(0);
  });
});
