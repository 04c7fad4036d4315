/**
 * SIGNUP_MODE over HTTP against a real API and database: open, invite (every way a code can be bad,
 * races for its last use over real sockets and inside one tRPC batch) and closed.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runAdminCommand } from '../admin-command.js';
import { makeHarness, type Harness } from '../../test/harness.js';
import { callTrpc, type TrpcAnswer } from '../../test/http.js';

let h: Harness;
let baseUrl: string;
beforeAll(async () => {
  h = await makeHarness({ settings: { startingCredits: 40 } });
  const server = await h.server();
  await server.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
});
afterAll(() => h.close());
beforeEach(() => {
  h.settings.signUpMode = 'invite';
});

let counter = 0;
const newEmail = () => `person${++counter}@example.com`;
const signUp = async (inviteCode?: string, email = newEmail()) =>
  callTrpc(await h.server(), 'auth.signUp', { email, password: 'a fine password', inviteCode });
/** What a refused sign-up must not have written. */
const written = async () => [await h.db.user.count(), await h.db.creditEntry.count()];
const newInvite = async (input: { maxUses?: number; expiresInHours?: number | null } = {}) => {
  const answer = await callTrpc(await h.server(), 'invites.create', input, { headers: h.admin.headers });
  expect(answer.status).toBe(200);
  return answer.data as { code: string; invite: { id: string; prefix: string } };
};
const refusalOf = (answer: TrpcAnswer) => [answer.status, answer.error?.data.code, answer.error?.data.details];

describe('SIGNUP_MODE=open', () => {
  it('lets anyone sign up without a code, and says so to signed-out callers', async () => {
    h.settings.signUpMode = 'open';
    const status = await callTrpc(await h.server(), 'auth.status', undefined, { kind: 'query' });
    expect(status.data).toMatchObject({ account: null, signUpMode: 'open' });
    const answer = await signUp();
    expect(answer.status).toBe(200);
    expect(answer.data).toMatchObject({ creditBalance: 40 });
  });
});

describe('SIGNUP_MODE=closed', () => {
  it('refuses every sign-up over HTTP with FORBIDDEN, writing nothing; the admin command still creates accounts', async () => {
    h.settings.signUpMode = 'closed';
    const status = await callTrpc(await h.server(), 'auth.status', undefined, { kind: 'query' });
    expect(status.data).toMatchObject({ signUpMode: 'closed' });
    const { code } = await newInvite();
    const before = await written();

    const answer = await signUp(code);

    expect(refusalOf(answer)).toEqual([403, 'FORBIDDEN', { field: 'signUpMode', signUpMode: 'closed' }]);
    expect(answer.error?.message).toMatch(/sign-up is closed/);
    expect(await written()).toEqual(before);
    const lines = await runAdminCommand(['create-user', '--email', 'byhand@example.com'], {
      db: h.db,
      settings: h.settings,
    });
    expect(lines[0]).toMatch(/^created byhand@example.com \(user\)/);
  });
});

describe('SIGNUP_MODE=invite', () => {
  it('signs up with a code an admin made, records the use, and keeps only the code hash', async () => {
    const status = await callTrpc(await h.server(), 'auth.status', undefined, { kind: 'query' });
    expect(status.data).toMatchObject({ signUpMode: 'invite' });
    const { code, invite } = await newInvite({ maxUses: 2, expiresInHours: 24 });
    expect(code).toMatch(/^inv_[A-Za-z0-9_-]{32}$/);
    expect(code.startsWith(invite.prefix)).toBe(true);

    const answer = await signUp(code);

    expect(answer.status).toBe(200);
    expect(answer.data).toMatchObject({ role: 'user', creditBalance: 40 });
    const row = await h.db.invite.findUniqueOrThrow({ where: { id: invite.id } });
    expect(row.uses).toBe(1);
    expect(row.codeHash).not.toContain(code.slice(4));
    expect(await h.db.user.count({ where: { inviteId: invite.id } })).toBe(1);
  });

  it.each([
    ['no code', async () => undefined, 'missing', /needs an invite code/],
    ['an unknown code', async () => `inv_${'A'.repeat(32)}`, 'unknown', /not valid/],
    [
      'a used-up code',
      async () => {
        const { code } = await newInvite();
        expect((await signUp(code)).status).toBe(200);
        return code;
      },
      'used',
      /used up/,
    ],
    [
      'an expired code',
      async () => {
        const { code, invite } = await newInvite({ expiresInHours: 1 });
        await h.db.invite.update({ where: { id: invite.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
        return code;
      },
      'expired',
      /expired/,
    ],
    [
      'a revoked code',
      async () => {
        const { code, invite } = await newInvite({ maxUses: 5 });
        const revoked = await callTrpc(
          await h.server(),
          'invites.revoke',
          { id: invite.id },
          { headers: h.admin.headers },
        );
        expect(revoked.data).toMatchObject({ state: 'revoked' });
        return code;
      },
      'revoked',
      /revoked/,
    ],
  ])('refuses %s with FORBIDDEN naming inviteCode, writing nothing', async (_name, makeCode, reason, message) => {
    const code = await makeCode();
    const before = await written();

    const answer = await signUp(code);

    expect(refusalOf(answer)).toEqual([403, 'FORBIDDEN', { field: 'inviteCode', reason }]);
    expect(answer.error?.message).toMatch(message);
    expect(await written()).toEqual(before);
  });

  it('refuses a malformed code as BAD_REQUEST naming inviteCode, writing nothing', async () => {
    const before = await written();
    for (const code of ['inv_short', 'not an invite', `inv_${'A'.repeat(32)}\u0000`, 'x'.repeat(5000)]) {
      const answer = await signUp(code);
      expect([answer.status, answer.error?.data.code]).toEqual([400, 'BAD_REQUEST']);
      expect(JSON.stringify(answer.error)).toMatch(/inviteCode/);
    }
    expect(await written()).toEqual(before);
  });

  it('lets exactly one of many concurrent sign-ups over real sockets take a one-use code', async () => {
    const { code, invite } = await newInvite();
    const statuses = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const response = await fetch(`${baseUrl}/trpc/auth.signUp`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: newEmail(), password: 'a fine password', inviteCode: code }),
        });
        return response.status;
      }),
    );

    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 403)).toHaveLength(7);
    expect(await h.db.user.count({ where: { inviteId: invite.id } })).toBe(1);
    expect((await h.db.invite.findUniqueOrThrow({ where: { id: invite.id } })).uses).toBe(1);
  });

  it('lets a three-use code make exactly three accounts out of six concurrent sign-ups', async () => {
    const { code, invite } = await newInvite({ maxUses: 3 });
    const answers = await Promise.all(Array.from({ length: 6 }, () => signUp(code)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(3);
    expect(await h.db.user.count({ where: { inviteId: invite.id } })).toBe(3);
  });

  it('makes one account from a tRPC batch of sign-ups sharing a one-use code', async () => {
    const { code, invite } = await newInvite();
    const calls = Array.from({ length: 5 }, (_, i) => i);
    const response = await (
      await h.server()
    ).inject({
      method: 'POST',
      url: `/trpc/${calls.map(() => 'auth.signUp').join(',')}?batch=1`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(
        Object.fromEntries(calls.map((i) => [i, { email: newEmail(), password: 'a fine password', inviteCode: code }])),
      ),
    });
    const answers = response.json() as { result?: unknown; error?: { data: { httpStatus: number } } }[];
    expect(answers.filter((answer) => answer.result)).toHaveLength(1);
    expect(answers.filter((answer) => answer.error?.data.httpStatus === 403)).toHaveLength(4);
    expect(await h.db.user.count({ where: { inviteId: invite.id } })).toBe(1);
  });

  it('gives the use back when the sign-up fails for another reason (an email already taken)', async () => {
    const { code, invite } = await newInvite();
    const answer = await signUp(code, 'owner@darkroom.test');
    expect(answer.error?.data.code).toBe('CONFLICT');
    expect((await h.db.invite.findUniqueOrThrow({ where: { id: invite.id } })).uses).toBe(0);
    expect((await signUp(code)).status).toBe(200);
  });

  it('lets only admins make, list and revoke codes', async () => {
    const server = await h.server();
    for (const [procedure, input, kind] of [
      ['invites.create', {}, 'mutation'],
      ['invites.list', undefined, 'query'],
      ['invites.revoke', { id: '00000000-0000-4000-8000-000000000000' }, 'mutation'],
    ] as const) {
      const answer = await callTrpc(server, procedure, input, { kind, headers: h.headers });
      expect([procedure, answer.status]).toEqual([procedure, 403]);
    }
    const list = await callTrpc(server, 'invites.list', undefined, { kind: 'query', headers: h.admin.headers });
    expect((list.data as unknown[]).length).toBeGreaterThan(0);
    expect(JSON.stringify(list.data)).not.toMatch(/inv_[A-Za-z0-9_-]{32}/);
  });

  it('refuses out-of-range invite settings, naming the field', async () => {
    for (const input of [{ maxUses: 0 }, { maxUses: 10_001 }, { expiresInHours: 0 }, { expiresInHours: 9000 }]) {
      const answer = await callTrpc(await h.server(), 'invites.create', input, { headers: h.admin.headers });
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.error)).toContain(Object.keys(input)[0]);
    }
  });
});

describe('darkroom:admin invite', () => {
  const admin = (...argv: string[]) => runAdminCommand(argv, { db: h.db, settings: h.settings });

  it('creates a code that signs up over HTTP, lists it without the code, and revokes it', async () => {
    const created = await admin('invite', 'create', '--uses', '2', '--expires', '7d');
    const code = /shown once\): (inv_\S+)$/.exec(created[0]!)![1]!;
    const id = created[1]!.split(' ')[0]!;
    const row = await h.db.invite.findUniqueOrThrow({ where: { id } });
    expect(row.maxUses).toBe(2);
    expect(row.expiresAt!.getTime() - Date.now()).toBeGreaterThan(7 * 24 * 3600_000 - 60_000);

    expect((await signUp(code)).status).toBe(200);
    const listed = (await admin('invite', 'list')).join('\n');
    expect(listed).toContain(`${id}  ${code.slice(0, 8)}…  1/2 used  usable`);
    expect(listed).not.toContain(code);
    expect((await admin('invite', 'revoke', id))[0]).toMatch(/^revoked: .* 1\/2 used {2}revoked /);
    expect(refusalOf(await signUp(code))[2]).toEqual({ field: 'inviteCode', reason: 'revoked' });
  });

  it.each([
    [['invite', 'create', '--uses', '0'], /--uses must be/],
    [['invite', 'create', '--expires', '7 weeks'], /--expires must be like 7d/],
    [['invite', 'create', '--expires', '9999d'], /--expires must be like 7d/],
    [['invite', 'revoke', 'not-an-id'], /usage: darkroom:admin invite/],
    [['invite', 'burn'], /usage: darkroom:admin invite/],
  ])('refuses %j', async (argv, message) => {
    const before = await h.db.invite.count();
    await expect(admin(...argv)).rejects.toThrow(message);
    expect(await h.db.invite.count()).toBe(before);
  });
});
