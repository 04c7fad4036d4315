import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCommand } from './admin-command.js';
import { makeHarness, type Harness } from '../test/harness.js';
import { callTrpc } from '../test/http.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness({ settings: { startingCredits: 10 } });
});
afterAll(() => h.close());

const admin = (...argv: string[]) => runAdminCommand(argv, { db: h.db, settings: h.settings });

describe('the operator command', () => {
  it('creates an admin with credits and prints a working API key', async () => {
    const lines = await admin(
      'create-user',
      '--email',
      'ops@example.com',
      '--admin',
      '--credits',
      '500',
      '--api-key',
      'ci',
    );

    expect(lines[0]).toMatch(/^created ops@example.com \(admin\) with password: \S{20,}$/);
    expect(lines[1]).toBe('balance of ops@example.com: 510 credits');
    const key = /shown once\): (dk_\S+)$/.exec(lines[2]!)![1]!;
    const me = await callTrpc(await h.server(), 'auth.me', undefined, {
      kind: 'query',
      headers: { authorization: `Bearer ${key}` },
    });
    expect(me.data).toEqual({ id: expect.any(String), email: 'ops@example.com', role: 'admin', creditBalance: 510 });
  });

  it('grants credits, makes an admin and issues keys for an existing account', async () => {
    expect(await admin('grant', '--email', 'owner@darkroom.test', '--amount', '5')).toEqual([
      'balance of owner@darkroom.test: 15 credits',
    ]);
    expect(await admin('make-admin', '--email', 'owner@darkroom.test')).toEqual([
      'owner@darkroom.test is now an admin',
    ]);
    expect((await admin('api-key', '--email', 'owner@darkroom.test', '--name', 'deploy'))[0]).toMatch(
      /^API key for owner@darkroom.test \(shown once\): dk_/,
    );
  });

  it('refuses bad input with a clear message, changing nothing', async () => {
    const before = [await h.db.user.count(), await h.db.creditEntry.count()];
    await expect(admin('grant', '--email', 'nobody@example.com', '--amount', '5')).rejects.toThrow(
      'no account for nobody@example.com',
    );
    await expect(admin('grant', '--email', 'owner@darkroom.test', '--amount', '99999999999')).rejects.toThrow(
      /1000000/,
    );
    await expect(admin('create-user', '--email', 'owner@darkroom.test', '--password', 'long enough')).rejects.toThrow(
      /already exists/,
    );
    await expect(admin('frobnicate', '--email', 'owner@darkroom.test')).rejects.toThrow(/usage: darkroom:admin/);
    expect([await h.db.user.count(), await h.db.creditEntry.count()]).toEqual(before);
  });
});
