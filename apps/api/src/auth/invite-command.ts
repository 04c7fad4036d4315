/** `darkroom:admin invite create|list|revoke`: invite codes from the operator's shell (see admin-command.ts). */
import { DomainError, InviteRef, MAX_INVITE_HOURS, MAX_INVITE_USES, type InviteView } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import { createInvite, listInvites, revokeInvite } from './invites.js';

const INVITE_USAGE =
  'usage: darkroom:admin invite create [--uses N] [--expires 7d|12h] | invite list | invite revoke ID';

/** `7d` or `12h` as hours; anything else is a usage error naming the flag and its limit. */
export function parseExpiry(text: string): number {
  const match = /^(\d{1,6})([hd])$/.exec(text.trim());
  const hours = match ? Number(match[1]) * (match[2] === 'd' ? 24 : 1) : NaN;
  if (!(hours >= 1 && hours <= MAX_INVITE_HOURS))
    throw new DomainError('BAD_INPUT', `--expires must be like 7d or 12h, at most ${MAX_INVITE_HOURS / 24}d`, {
      field: 'expires',
      maximum: MAX_INVITE_HOURS,
    });
  return hours;
}

function parseUses(text: string): number {
  const uses = /^\d{1,6}$/.test(text.trim()) ? Number(text) : NaN;
  if (!(uses >= 1 && uses <= MAX_INVITE_USES))
    throw new DomainError('BAD_INPUT', `--uses must be a whole number from 1 to ${MAX_INVITE_USES}`, {
      field: 'uses',
      maximum: MAX_INVITE_USES,
    });
  return uses;
}

const describe = (invite: InviteView) =>
  `${invite.id}  ${invite.prefix}…  ${invite.uses}/${invite.maxUses} used  ${invite.state}` +
  `  expires ${invite.expiresAt ?? 'never'}`;

export async function runInviteCommand(
  args: string[],
  values: { uses?: string | undefined; expires?: string | undefined },
  db: Db,
): Promise<string[]> {
  switch (args[0]) {
    case 'create': {
      const { code, invite } = await createInvite({
        db,
        by: null,
        input: {
          maxUses: values.uses === undefined ? 1 : parseUses(values.uses),
          expiresInHours: values.expires === undefined ? null : parseExpiry(values.expires),
        },
      });
      return [`invite code (shown once): ${code}`, describe(invite)];
    }
    case 'list': {
      const invites = await listInvites({ db });
      return invites.length ? invites.map(describe) : ['no invite codes'];
    }
    case 'revoke': {
      const ref = InviteRef.safeParse({ id: args[1] });
      if (!ref.success) throw new Error(INVITE_USAGE);
      return [`revoked: ${describe(await revokeInvite({ db, id: ref.data.id }))}`];
    }
    default:
      throw new Error(INVITE_USAGE);
  }
}
