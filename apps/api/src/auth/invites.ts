/**
 * Invite codes (SIGNUP_MODE=invite): an admin makes one in the admin view or with the admin command,
 * hands it to someone, and it creates at most `maxUses` accounts until it expires or is revoked. The
 * code is 192 random bits shown once; only its SHA-256 is stored, as for API keys.
 */
import { randomBytes } from 'node:crypto';
import { DomainError, InviteCreateInput, type InviteCreated, type InviteView, type SignUpMode } from '@darkroom/core';
import type { Db, Tx } from '@darkroom/db';
import type { AuthUser } from '../context.js';
import { sha256 } from './tokens.js';

type InviteRow = Awaited<ReturnType<Db['invite']['findFirstOrThrow']>>;

function stateOf(invite: InviteRow, now = new Date()): InviteView['state'] {
  if (invite.revokedAt) return 'revoked';
  if (invite.expiresAt && invite.expiresAt <= now) return 'expired';
  if (invite.uses >= invite.maxUses) return 'used';
  return 'usable';
}

function toInviteView(invite: InviteRow): InviteView {
  return {
    id: invite.id,
    prefix: invite.prefix,
    maxUses: invite.maxUses,
    uses: invite.uses,
    expiresAt: invite.expiresAt?.toISOString() ?? null,
    revokedAt: invite.revokedAt?.toISOString() ?? null,
    createdAt: invite.createdAt.toISOString(),
    state: stateOf(invite),
  };
}

/** Makes a code; the answer is the only place it appears whole. `by` is null for the operator's command. */
export async function createInvite({
  db,
  by,
  input,
}: {
  db: Db;
  by: AuthUser | null;
  input: InviteCreateInput;
}): Promise<InviteCreated> {
  const { maxUses, expiresInHours } = InviteCreateInput.parse(input);
  const code = `inv_${randomBytes(24).toString('base64url')}`;
  const invite = await db.invite.create({
    data: {
      codeHash: sha256(code),
      prefix: code.slice(0, 8),
      maxUses,
      expiresAt: expiresInHours === null ? null : new Date(Date.now() + expiresInHours * 3600_000),
      createdById: by?.id ?? null,
    },
  });
  return { code, invite: toInviteView(invite) };
}

/** Every code, newest first (at most 500). */
export async function listInvites({ db }: { db: Db }): Promise<InviteView[]> {
  const invites = await db.invite.findMany({ orderBy: { createdAt: 'desc' }, take: 500 });
  return invites.map(toInviteView);
}

/** Stops a code from making more accounts; the accounts it made stay. Revoking twice is harmless. */
export async function revokeInvite({ db, id }: { db: Db; id: string }): Promise<InviteView> {
  const found = await db.invite.findUnique({ where: { id }, select: { id: true } });
  if (!found) throw new DomainError('NOT_FOUND', `invite ${id} not found`);
  await db.invite.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  return toInviteView(await db.invite.findUniqueOrThrow({ where: { id } }));
}

const refusal = (message: string, reason: string) =>
  new DomainError('FORBIDDEN', message, { field: 'inviteCode', reason });

/** Why a code cannot be used (read only; `takeInvite` decides for good, under the row's lock). */
async function whyNot(db: Db | Tx, codeHash: string): Promise<DomainError> {
  const invite = await db.invite.findUnique({ where: { codeHash } });
  switch (invite ? stateOf(invite) : 'unknown') {
    case 'revoked':
      return refusal('this invite code has been revoked', 'revoked');
    case 'expired':
      return refusal('this invite code has expired', 'expired');
    case 'used':
      return refusal('this invite code has been used up', 'used');
    default:
      return refusal('this invite code is not valid', 'unknown');
  }
}

/**
 * Whether a sign-up over HTTP may go ahead under `mode`, checked before anything is counted or hashed;
 * throws FORBIDDEN naming `inviteCode` (or the mode) otherwise. A code that passes here may still be
 * taken by someone else before `takeInvite`, which settles it.
 */
export async function checkSignUpAllowed({
  db,
  mode,
  inviteCode,
}: {
  db: Db;
  mode: SignUpMode;
  inviteCode: string | undefined;
}): Promise<void> {
  if (mode === 'open') return;
  if (mode === 'closed')
    throw new DomainError('FORBIDDEN', 'sign-up is closed here; the operator creates accounts', {
      field: 'signUpMode',
      signUpMode: 'closed',
    });
  if (!inviteCode) throw refusal('sign-up here needs an invite code from an admin', 'missing');
  const usable = await db.invite.count({
    where: {
      codeHash: sha256(inviteCode),
      revokedAt: null,
      OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }],
      uses: { lt: db.invite.fields.maxUses },
    },
  });
  if (usable === 0) throw await whyNot(db, sha256(inviteCode));
}

/**
 * Takes one use of the code inside the sign-up's transaction: one UPDATE whose WHERE holds the whole
 * rule, so of two sign-ups racing for the last use, Postgres lets exactly one through (the second
 * re-reads the row after the first commits). A failed sign-up rolls the use back with it.
 */
export async function takeInvite(tx: Tx, inviteCode: string): Promise<string> {
  const codeHash = sha256(inviteCode);
  const taken = await tx.$queryRaw<{ id: string }[]>`
    update invites set uses = uses + 1
    where code_hash = ${codeHash} and revoked_at is null and (expires_at is null or expires_at > now())
      and uses < max_uses
    returning id`;
  if (taken.length === 0) throw await whyNot(tx, codeHash);
  return taken[0]!.id;
}
