import { createTestDatabase } from '@darkroom/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, TEST_PASSWORD, testSettings, type Harness } from '../../test/harness.js';
import { LOCAL_USER_EMAIL, signUp } from './service.js';
import { callTrpc, sessionCookieOf } from '../../test/http.js';

let h: Harness;
beforeAll(async () => {
  // Served as darkroom.example (PUBLIC_URL), as the cross-site test below addresses it.
  h = await makeHarness({
    settings: { startingCredits: 25, adminEmail: 'boss@example.com', allowedHosts: ['localhost', 'darkroom.example'] },
  });
});
afterAll(() => h.close());

const cookieHeader = (setCookie: string) => setCookie.split(';')[0]!;

describe('sign up', () => {
  it('stores an argon2id hash, grants the starting credits and signs in with an httpOnly SameSite cookie', async () => {
    const server = await h.server();
    const answer = await callTrpc(server, 'auth.signUp', { email: 'New@Example.com', password: 'a fine password' });

    expect(answer.status).toBe(200);
    expect(answer.data).toMatchObject({ email: 'new@example.com', role: 'user', creditBalance: 25 });
    const row = await h.db.user.findUniqueOrThrow({ where: { email: 'new@example.com' } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$v=19\$/);
    expect(row.passwordHash).not.toContain('a fine password');
    const setCookie = sessionCookieOf(answer);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const me = await callTrpc(server, 'auth.me', undefined, {
      kind: 'query',
      headers: { cookie: cookieHeader(setCookie) },
    });
    expect(me.data).toMatchObject({ email: 'new@example.com' });
    // The cookie's token is not what the database keeps.
    const token = cookieHeader(setCookie).split('=')[1]!;
    expect(await h.db.session.count({ where: { id: token } })).toBe(0);
  });

  it('made the first account an admin, and makes the ADMIN_EMAIL account one too', async () => {
    const boss = await h.makeUser('boss@example.com');
    expect([h.admin.user.role, h.user.role, boss.user.role]).toEqual(['admin', 'user', 'admin']);
  });

  it('does not make an admin of whoever signs up over HTTP first with the ADMIN_EMAIL address', async () => {
    const claimed = await makeHarness({ settings: { adminEmail: 'claimed@example.com' } });
    try {
      const answer = await callTrpc(await claimed.server(), 'auth.signUp', {
        email: 'Claimed@Example.com',
        password: 'first come first served',
      });
      expect(answer.status).toBe(200);
      expect(answer.data).toMatchObject({ email: 'claimed@example.com', role: 'user' });
      // Created by the operator (the admin command's path), the same address is an admin.
      const operator = await signUp({
        db: claimed.db,
        settings: claimed.settings,
        input: { email: 'claimed2@example.com', password: 'made by the operator' },
      });
      expect(operator.role).toBe('user');
      const named = await signUp({
        db: claimed.db,
        settings: { ...claimed.settings, adminEmail: 'claimed2b@example.com' },
        input: { email: 'claimed2b@example.com', password: 'made by the operator' },
      });
      expect(named.role).toBe('admin');
    } finally {
      await claimed.close();
    }
  });

  it('refuses a second account with the same email and a short password, changing nothing', async () => {
    const server = await h.server();
    const before = await h.db.user.count();
    const duplicate = await callTrpc(server, 'auth.signUp', {
      email: 'OWNER@darkroom.test',
      password: 'whatever it is',
    });
    const short = await callTrpc(server, 'auth.signUp', { email: 'short@example.com', password: 'short' });
    expect([duplicate.status, duplicate.error?.data.code]).toEqual([409, 'CONFLICT']);
    expect([short.status, short.error?.data.code]).toEqual([400, 'BAD_REQUEST']);
    expect(await h.db.user.count()).toBe(before);
  });
});

describe('log in and log out', () => {
  it('answers a wrong password and an unknown email alike with UNAUTHORIZED, setting no cookie', async () => {
    const server = await h.server();
    const wrong = await callTrpc(server, 'auth.logIn', { email: 'owner@darkroom.test', password: 'not the password' });
    const unknown = await callTrpc(server, 'auth.logIn', {
      email: 'nobody@darkroom.test',
      password: 'not the password',
    });
    for (const answer of [wrong, unknown]) {
      expect([answer.status, answer.error?.data.code, answer.error?.message]).toEqual([
        401,
        'UNAUTHORIZED',
        'wrong email or password',
      ]);
      expect(answer.headers['set-cookie']).toBeUndefined();
    }
  });

  it('logs in, then logging out ends that session on the server, not just in the browser', async () => {
    const server = await h.server();
    const login = await callTrpc(server, 'auth.logIn', { email: 'owner@darkroom.test', password: TEST_PASSWORD });
    const cookie = cookieHeader(sessionCookieOf(login));
    expect((await callTrpc(server, 'jobs.list', {}, { kind: 'query', headers: { cookie } })).status).toBe(200);

    const out = await callTrpc(server, 'auth.logOut', null, { headers: { cookie } });
    expect(out.status).toBe(200);
    expect(sessionCookieOf(out)).toMatch(/darkroom_session=;/);
    const after = await callTrpc(server, 'jobs.list', {}, { kind: 'query', headers: { cookie } });
    expect([after.status, after.error?.message]).toEqual([401, 'your session has expired; sign in again']);
  });

  it('refuses an expired session with UNAUTHORIZED', async () => {
    const server = await h.server();
    const login = await callTrpc(server, 'auth.logIn', { email: 'owner@darkroom.test', password: TEST_PASSWORD });
    const cookie = cookieHeader(sessionCookieOf(login));
    await h.db.session.updateMany({ where: { userId: h.user.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const answer = await callTrpc(server, 'jobs.create', { prompt: 'after expiry' }, { headers: { cookie } });
    expect([answer.status, answer.error?.data.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(await h.db.job.count()).toBe(0);
    // Signing in again clears the account's expired sessions.
    await callTrpc(server, 'auth.logIn', { email: 'owner@darkroom.test', password: TEST_PASSWORD });
    expect(await h.db.session.count({ where: { userId: h.user.id, expiresAt: { lt: new Date() } } })).toBe(0);
  });

  it('tells a fresh visitor whether anyone has signed up, and who may', async () => {
    const status = await callTrpc(await h.server(), 'auth.status', undefined, { kind: 'query' });
    expect(status.data).toEqual({ account: null, hasAccounts: true, signUpMode: 'open' });
  });
});

describe('cross-site requests', () => {
  it('refuses a mutation from another origin (even log in), and lets the same origin through', async () => {
    const server = await h.server();
    const login = await callTrpc(server, 'auth.logIn', { email: 'owner@darkroom.test', password: TEST_PASSWORD });
    const cookie = cookieHeader(sessionCookieOf(login));
    const host = 'darkroom.example';

    const forged = await server.inject({
      method: 'POST',
      url: '/trpc/jobs.create',
      headers: { host, origin: 'https://evil.example', cookie, 'content-type': 'application/json' },
      payload: JSON.stringify({ prompt: 'forged' }),
    });
    const forgedLogin = await server.inject({
      method: 'POST',
      url: '/trpc/auth.logIn',
      headers: { host, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      payload: JSON.stringify({ email: 'owner@darkroom.test', password: TEST_PASSWORD }),
    });
    const own = await server.inject({
      method: 'POST',
      url: '/trpc/jobs.create',
      headers: { host, origin: `https://${host}`, cookie, 'content-type': 'application/json' },
      payload: JSON.stringify({ prompt: 'mine' }),
    });

    expect([forged.statusCode, forged.json().error.code]).toEqual([403, 'FORBIDDEN']);
    expect([forgedLogin.statusCode, forgedLogin.headers['set-cookie']]).toEqual([403, undefined]);
    expect(own.statusCode).toBe(200);
    expect((await h.db.job.findMany({ select: { prompt: true } })).map((job) => job.prompt)).toEqual(['mine']);
  });
});

describe('an install from before accounts', () => {
  it("gives the local user's jobs and uploads to the first account", async () => {
    const database = await createTestDatabase();
    try {
      const local = await database.db.user.create({ data: { email: LOCAL_USER_EMAIL, role: 'admin' } });
      await database.db.job.create({
        data: {
          userId: local.id,
          preset: 'photo',
          prompt: 'from before',
          aspectRatio: '1:1',
          width: 64,
          height: 64,
          provider: 'local',
          numImages: 1,
        },
      });
      const first = await signUp({
        db: database.db,
        settings: testSettings(),
        input: { email: 'first@example.com', password: TEST_PASSWORD },
      });

      expect((await database.db.job.findMany({ select: { userId: true } })).map((job) => job.userId)).toEqual([
        first.id,
      ]);
      expect(await database.db.user.count({ where: { email: LOCAL_USER_EMAIL } })).toBe(0);
    } finally {
      await database.drop();
    }
  });
});
