/**
 * The operator command (`pnpm darkroom:admin <command> ...`), for scripted and headless setups:
 *
 *   create-user --email a@b.c [--password P] [--admin] [--credits N] [--api-key NAME]
 *   make-admin  --email a@b.c
 *   grant       --email a@b.c --amount N [--note TEXT]
 *   api-key     --email a@b.c [--name NAME]
 *   invite create [--uses N] [--expires 7d|12h]
 *   invite list
 *   invite revoke ID
 *
 * Every change goes through the same services as the API (argon2id, the credit ledger, hashed keys).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CreditGrant, DomainError, Email, SignUpInput } from '@darkroom/core';
import type { Db } from '@darkroom/db';
import { grantCredits } from '@darkroom/db';
import { createApiKey } from './auth/api-keys.js';
import { runInviteCommand } from './auth/invite-command.js';
import { signUp } from './auth/service.js';
import type { AuthUser } from './context.js';
import type { AccountSettings } from './env.js';

export const ADMIN_USAGE = `usage: darkroom:admin <command> [options]
  create-user --email EMAIL [--password PASSWORD] [--admin] [--credits N] [--api-key NAME]
  make-admin  --email EMAIL
  grant       --email EMAIL --amount N [--note TEXT]
  api-key     --email EMAIL [--name NAME]
  invite create [--uses N] [--expires 7d|12h]   (SIGNUP_MODE=invite; the code is shown once)
  invite list
  invite revoke ID`;

/** Runs one command; returns the lines to print. Throws DomainError (or a usage Error) on bad input. */
export async function runAdminCommand(
  argv: string[],
  { db, settings }: { db: Db; settings: AccountSettings },
): Promise<string[]> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      email: { type: 'string' },
      password: { type: 'string' },
      admin: { type: 'boolean', default: false },
      credits: { type: 'string' },
      'api-key': { type: 'string' },
      amount: { type: 'string' },
      note: { type: 'string' },
      name: { type: 'string' },
      uses: { type: 'string' },
      expires: { type: 'string' },
    },
  });
  const command = positionals[0];
  if (command === 'invite') return runInviteCommand(positionals.slice(1), values, db);
  const email = Email.safeParse(values.email);
  if (!command || !email.success) throw new Error(ADMIN_USAGE);
  const out: string[] = [];

  const findUser = async (): Promise<AuthUser> => {
    const user = await db.user.findUnique({
      where: { email: email.data },
      select: { id: true, email: true, role: true },
    });
    if (!user) throw new DomainError('NOT_FOUND', `no account for ${email.data}`);
    return user;
  };
  const grant = async (user: AuthUser, amountText: string, note: string) => {
    const input = CreditGrant.parse({ email: user.email, amount: Number(amountText), note });
    const balance = await db.$transaction((tx) =>
      grantCredits(tx, { userId: user.id, amount: input.amount, note: `${note} (operator command)` }),
    );
    out.push(`balance of ${user.email}: ${balance} credits`);
  };
  const newKey = async (user: AuthUser, name: string) => {
    const { key } = await createApiKey({ db, user, name });
    out.push(`API key for ${user.email} (shown once): ${key}`);
  };

  switch (command) {
    case 'create-user': {
      const generated = values.password === undefined;
      const password = values.password ?? randomBytes(18).toString('base64url');
      const account = await signUp({ db, settings, input: SignUpInput.parse({ email: email.data, password }) });
      let user: AuthUser = { id: account.id, email: account.email, role: account.role };
      if (values.admin && user.role !== 'admin')
        user = await db.user.update({
          where: { id: user.id },
          data: { role: 'admin' },
          select: { id: true, email: true, role: true },
        });
      out.push(`created ${user.email} (${user.role})${generated ? ` with password: ${password}` : ''}`);
      if (values.credits !== undefined) await grant(user, values.credits, 'operator grant');
      if (values['api-key'] !== undefined) await newKey(user, values['api-key']);
      return out;
    }
    case 'make-admin': {
      const user = await findUser();
      await db.user.update({ where: { id: user.id }, data: { role: 'admin' } });
      return [`${user.email} is now an admin`];
    }
    case 'grant': {
      if (values.amount === undefined) throw new Error(ADMIN_USAGE);
      await grant(await findUser(), values.amount, values.note ?? 'operator grant');
      return out;
    }
    case 'api-key': {
      await newKey(await findUser(), values.name ?? 'operator');
      return out;
    }
    default:
      throw new Error(ADMIN_USAGE);
  }
}
