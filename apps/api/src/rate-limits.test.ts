import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from './server.js';
import { makeHarness, TEST_PASSWORD, type Harness } from '../test/harness.js';
import { callTrpc } from '../test/http.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({
    settings: { submitsPerMinute: 5, maxActiveJobsPerUser: 3, loginAttemptsPerAccount: 3, loginAttemptsPerIp: 6 },
  });
});
afterAll(() => h.close());

const login = (email: string, password: string, ip: string) =>
  h.server().then((server) => callTrpc(server, 'auth.logIn', { email, password }, { remoteAddress: ip }));

describe('submit limits', () => {
  it('answers the 6th submit in a minute with TOO_MANY_REQUESTS and Retry-After, over HTTP, creating nothing', async () => {
    const busy = await h.makeUser('busy@example.com');
    const server = await h.server();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await callTrpc(
        server,
        'jobs.create',
        { prompt: `n ${i}`, provider: 'mock' },
        { headers: busy.headers },
      );
      statuses.push(answer.status);
      if (answer.status === 200) await busy.caller.jobs.cancel({ id: (answer.data as { id: string }).id });
    }
    const sixth = await callTrpc(
      server,
      'jobs.create',
      { prompt: 'one too many', provider: 'mock' },
      { headers: busy.headers },
    );

    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    expect([sixth.status, sixth.error?.data.code]).toEqual([429, 'TOO_MANY_REQUESTS']);
    const retryAfter = Number(sixth.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await h.db.job.count({ where: { userId: busy.user.id } })).toBe(5);
    // Another user's budget is their own.
    const other = await callTrpc(
      server,
      'jobs.create',
      { prompt: 'unaffected', provider: 'mock' },
      { headers: h.headers },
    );
    expect(other.status).toBe(200);
  });

  it('counts a batch as its jobs', async () => {
    const batcher = await h.makeUser('batcher@example.com');
    const error = await batcher.caller.jobs
      .createBatch({ requests: Array.from({ length: 6 }, (_, i) => ({ prompt: `b ${i}` })) })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'TOO_MANY_REQUESTS' });
  });

  it("caps a user's queued + running jobs, with Retry-After", async () => {
    const hoarder = await h.makeUser('hoarder@example.com');
    const server = await h.server();
    for (let i = 0; i < 3; i++)
      expect(
        (await callTrpc(server, 'jobs.create', { prompt: `keep ${i}` }, { headers: hoarder.headers })).status,
      ).toBe(200);
    const fourth = await callTrpc(server, 'jobs.create', { prompt: 'over the cap' }, { headers: hoarder.headers });
    expect([fourth.status, fourth.error?.message, fourth.headers['retry-after']]).toEqual([
      429,
      'at most 3 jobs may be queued or running at once; wait for some to finish',
      '5',
    ]);
    expect(await h.db.job.count({ where: { userId: hoarder.user.id } })).toBe(3);
    const balance = (await hoarder.caller.credits.get()).balance;
    expect(balance).toBe(h.settings.startingCredits - 3);
  });
});

describe('log-in throttling', () => {
  it('stops one address guessing an account after 3 attempts, even with the right password, and says when to retry', async () => {
    await h.makeUser('target@example.com');
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await login('target@example.com', `guess ${i}`, '10.0.0.1'));
    const right = await login('target@example.com', TEST_PASSWORD, '10.0.0.1');

    expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401]);
    expect([right.status, right.error?.data.code, right.headers['set-cookie']]).toEqual([
      429,
      'TOO_MANY_REQUESTS',
      undefined,
    ]);
    expect(right.error?.message).toMatch(/^too many log-in attempts for this account from this address/);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(800);
    // Other accounts are not locked by it.
    expect((await login('owner@darkroom.test', TEST_PASSWORD, '10.0.0.1')).status).toBe(200);
  });

  it("does not let a stranger lock the owner out: guesses from other addresses leave the owner's log-in alone", async () => {
    await h.makeUser('victim@example.com');
    // Three strangers, each until they are throttled themselves.
    for (const stranger of ['10.2.0.1', '10.2.0.2', '10.2.0.3']) {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await login('victim@example.com', `guess ${i}`, stranger)).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
    }
    const owner = await login('victim@example.com', TEST_PASSWORD, '10.2.0.100');
    expect(owner.status).toBe(200);
    expect(owner.headers['set-cookie']).toBeDefined();
  });

  it('stops one address after 6 attempts across accounts', async () => {
    const ip = '203.0.113.7';
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(`someone${i}@example.com`, 'wrong password', ip)).status);
    const seventh = await login('owner@darkroom.test', TEST_PASSWORD, ip);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    expect([seventh.status, seventh.error?.message.startsWith('too many log-in attempts from this address')]).toEqual([
      429,
      true,
    ]);
    expect(Number(seventh.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login('owner@darkroom.test', TEST_PASSWORD, '198.51.100.1')).status).toBe(200);
  });

  it('does not trust X-Forwarded-For unless TRUST_PROXY is set, so a client cannot pick its own address', async () => {
    const server = await h.server();
    const ip = '192.0.2.50';
    for (let i = 0; i < 6; i++)
      await callTrpc(
        server,
        'auth.logIn',
        { email: `spoof${i}@example.com`, password: 'wrong password' },
        { remoteAddress: ip, headers: { 'x-forwarded-for': `10.9.9.${i}` } },
      );
    const next = await callTrpc(
      server,
      'auth.logIn',
      { email: 'owner@darkroom.test', password: TEST_PASSWORD },
      { remoteAddress: ip, headers: { 'x-forwarded-for': '10.9.9.99' } },
    );
    expect(next.status).toBe(429);
  });

  it('behind TRUST_PROXY=<proxy address>, counts the client X-Forwarded-For names only when the proxy sent it', async () => {
    const behind = await buildServer({
      db: h.db,
      databaseUrl: h.url,
      storage: h.storage,
      settings: h.settings,
      trustProxy: ['192.0.2.10'],
      webDistDir: path.join(h.storageDir, 'none'),
      logLevel: 'silent',
    });
    try {
      const attempt = (remoteAddress: string, forwardedFor: string, password = 'wrong password') =>
        callTrpc(
          behind,
          'auth.logIn',
          { email: 'owner@darkroom.test', password },
          { remoteAddress, headers: { 'x-forwarded-for': forwardedFor } },
        );
      // Through the proxy: each client is its own address, so one client's guesses throttle only it.
      for (let i = 0; i < 3; i++) expect((await attempt('192.0.2.10', '198.51.100.20')).status).toBe(401);
      expect((await attempt('192.0.2.10', '198.51.100.20')).status).toBe(429);
      expect((await attempt('192.0.2.10', '198.51.100.21', TEST_PASSWORD)).status).toBe(200);
      // Not through the proxy: the header is the client's own claim and is ignored.
      for (let i = 0; i < 3; i++) expect((await attempt('192.0.2.77', `198.51.100.${30 + i}`)).status).toBe(401);
      expect((await attempt('192.0.2.77', '198.51.100.99')).status).toBe(429);
    } finally {
      await behind.close();
    }
  });

  it('behind TRUST_PROXY=1, takes the address the proxy saw, not what the client wrote before it', async () => {
    const behind = await buildServer({
      db: h.db,
      databaseUrl: h.url,
      storage: h.storage,
      settings: h.settings,
      trustProxy: 1,
      webDistDir: path.join(h.storageDir, 'none'),
      logLevel: 'silent',
    });
    try {
      // The client prepends a fresh address each time; the proxy appends the one it saw.
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const answer = await callTrpc(
          behind,
          'auth.logIn',
          { email: 'owner@darkroom.test', password: 'wrong password' },
          { remoteAddress: '192.0.2.11', headers: { 'x-forwarded-for': `10.7.0.${i}, 198.51.100.40` } },
        );
        statuses.push(answer.status);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await behind.close();
    }
  });

  it("clears an account's failed attempts on a correct password", async () => {
    await h.makeUser('forgetful@example.com');
    await login('forgetful@example.com', 'wrong once', '10.1.0.1');
    await login('forgetful@example.com', 'wrong twice', '10.1.0.2');
    expect((await login('forgetful@example.com', TEST_PASSWORD, '10.1.0.3')).status).toBe(200);
    expect((await login('forgetful@example.com', 'wrong again', '10.1.0.4')).status).toBe(401);
    expect((await login('forgetful@example.com', 'and again', '10.1.0.5')).status).toBe(401);
    expect((await login('forgetful@example.com', TEST_PASSWORD, '10.1.0.6')).status).toBe(200);
  });
});
