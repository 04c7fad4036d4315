import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../server.js';
import { eventually, makeHarness, type Harness } from '../../test/harness.js';
import { callTrpc } from '../../test/http.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('API keys', () => {
  it('shows the key once, stores only its prefix and hash, and lists name, prefix and last use', async () => {
    const { key, apiKey } = await h.caller.apiKeys.create({ name: 'render farm' });

    expect(key).toMatch(/^dk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(apiKey.prefix)).toBe(true);
    const row = await h.db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(JSON.stringify(row)).not.toContain(key.slice(apiKey.prefix.length + 1));
    expect(apiKey.lastUsedAt).toBeNull();

    const used = await callTrpc(await h.server(), 'jobs.list', {}, { kind: 'query', headers: bearer(key) });
    expect(used.status).toBe(200);
    const listed = (await h.caller.apiKeys.list()).find((item) => item.id === apiKey.id)!;
    expect(listed).toMatchObject({ name: 'render farm', prefix: apiKey.prefix });
    expect(listed.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(await h.caller.apiKeys.list())).not.toContain(key);
  });

  it('is accepted by tRPC and the image URLs', async () => {
    await h.startWorker();
    const { key } = await h.caller.apiKeys.create({ name: 'images' });
    const server = await h.server();
    const created = await callTrpc(server, 'jobs.create', { prompt: 'a key-made kite' }, { headers: bearer(key) });
    expect(created.status).toBe(200);
    const id = (created.data as { id: string }).id;
    const done = await eventually(async () => {
      const view = await h.caller.jobs.get({ id });
      return view.status === 'succeeded' ? view : null;
    });
    const image = await server.inject({ method: 'GET', url: done.images[0]!.url!, headers: bearer(key) });
    const anonymous = await server.inject({ method: 'GET', url: done.images[0]!.url! });
    expect([image.statusCode, image.headers['content-type']]).toEqual([200, 'image/png']);
    expect(anonymous.statusCode).toBe(401);
  });

  it('refuses a revoked key, a malformed key, an unknown key and the key of a deleted user, each with a clear UNAUTHORIZED', async () => {
    const server = await h.server();
    const revoked = await h.caller.apiKeys.create({ name: 'old' });
    await h.caller.apiKeys.revoke({ id: revoked.apiKey.id });
    const doomed = await h.makeUser('leaving@example.com');
    await h.db.user.delete({ where: { id: doomed.user.id } });
    const unknown = `dk_00000000_${'A'.repeat(43)}`;
    const before = await h.db.job.count();

    const cases: [string, Record<string, string>, RegExp][] = [
      ['revoked', bearer(revoked.key), /not valid/],
      ['malformed', bearer('not-a-key'), /Bearer dk_/],
      ['basic auth', { authorization: 'Basic b3duZXI6cGFzcw==' }, /Bearer dk_/],
      ['unknown', bearer(unknown), /not valid/],
      ['deleted user', doomed.headers, /not valid/],
    ];
    for (const [name, headers, message] of cases) {
      const answer = await callTrpc(server, 'jobs.create', { prompt: `with a ${name} key` }, { headers });
      expect([name, answer.status, answer.error?.data.code]).toEqual([name, 401, 'UNAUTHORIZED']);
      expect(answer.error?.message).toMatch(message);
      const image = await server.inject({
        method: 'GET',
        url: '/images/00000000-0000-4000-8000-000000000000',
        headers,
      });
      expect([name, image.statusCode]).toEqual([name, 401]);
    }
    expect(await h.db.job.count()).toBe(before);
  });

  it("revokes only the caller's own keys: another user's key id answers NOT_FOUND and keeps working", async () => {
    const stranger = await h.makeUser('stranger@example.com');
    const theirs = await stranger.caller.apiKeys.create({ name: 'theirs' });
    const error = await h.caller.apiKeys.revoke({ id: theirs.apiKey.id }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND' });
    const still = await callTrpc(await h.server(), 'auth.me', undefined, {
      kind: 'query',
      headers: bearer(theirs.key),
    });
    expect(still.data).toMatchObject({ email: 'stranger@example.com' });
  });

  // A second API process on the same database, whose cached keys never expire by age: what it refuses
  // below, it refuses because Postgres announced the change, not because its cache timed out.
  const otherProcess = () =>
    buildServer({
      db: h.db,
      databaseUrl: h.url,
      storage: h.storage,
      settings: h.settings,
      webDistDir: path.join(h.storageDir, 'none'),
      logLevel: 'silent',
      apiKeyCacheTtlMs: 3_600_000,
    });
  const me = (server: Awaited<ReturnType<typeof otherProcess>>, key: string) =>
    callTrpc(server, 'auth.me', undefined, { kind: 'query', headers: bearer(key) });

  it('stops a key revoked on another API process, though both had just accepted it', async () => {
    const { key, apiKey } = await h.caller.apiKeys.create({ name: 'two replicas' });
    const here = await h.server();
    const other = await otherProcess();
    try {
      for (const server of [here, other]) expect((await me(server, key)).status).toBe(200);

      expect((await callTrpc(here, 'apiKeys.revoke', { id: apiKey.id }, { headers: h.headers })).status).toBe(200);

      expect((await me(here, key)).status).toBe(401);
      const refused = await eventually(async () => {
        const answer = await me(other, key);
        return answer.status === 401 ? answer : null;
      });
      expect(refused.error?.message).toMatch(/not valid/);
    } finally {
      await other.close();
    }
  });

  it('answers with the user as they are now after a role change or deletion, though the key had just been accepted', async () => {
    const someone = await h.makeUser('changing@example.com');
    const other = await otherProcess();
    try {
      expect((await me(other, someone.apiKey)).data).toMatchObject({ role: 'user' });

      await h.db.user.update({ where: { id: someone.user.id }, data: { role: 'admin' } });
      await eventually(
        async () => ((await me(other, someone.apiKey)).data as { role?: string } | undefined)?.role === 'admin',
      );

      await h.db.user.delete({ where: { id: someone.user.id } });
      await eventually(async () => (await me(other, someone.apiKey)).status === 401);
    } finally {
      await other.close();
    }
  });
});
