/**
 * Accounts: sign up, log in, log out. Passwords are argon2id hashes (@node-rs/argon2's defaults:
 * argon2id, m=19 MiB, t=2, the OWASP minimum); sessions are random tokens whose hash is the row id.
 */
import { DomainError, type AccountView, type AuthStatusView, type LogInInput, type SignUpInput } from '@darkroom/core';
import { grantCredits, Prisma, type Db, type Tx } from '@darkroom/db';
import { hash, verify } from '@node-rs/argon2';
import type { AuthUser, Context } from '../context.js';
import type { AccountSettings } from '../env.js';
import type { RateLimits } from '../rate-limits.js';
import { checkSignUpAllowed, takeInvite } from './invites.js';
import { newSessionToken, sha256 } from './tokens.js';

/** The user that owned every job before accounts existed; the first account adopts its jobs. */
export const LOCAL_USER_EMAIL = 'local@darkroom.localhost';

/** Verified against when the email is unknown, so a wrong email takes as long as a wrong password. */
const DUMMY_HASH = hash('not a real password, only here for timing');

type SessionTarget = Pick<Context, 'cookie' | 'client'>;

/**
 * Creates an account with the starting credits, signs it in, and returns it. The first account is an
 * admin (a lock makes two first sign-ups at once agree on which), and so is the one ADMIN_EMAIL names
 * when the operator creates it (the admin command); signed up over HTTP, it is an ordinary account.
 * From a caller's address (`from`): at most SIGNUPS_PER_IP_PER_HOUR accounts, counted before the
 * password is hashed, and only the first FUNDED_SIGNUPS_PER_IP_PER_DAY start with credits. Over HTTP,
 * SIGNUP_MODE decides whether anyone may sign up, only with an invite code (taken in the account's
 * transaction), or no one; a refused sign-up writes no account and no credits.
 */
export async function signUp({
  db,
  settings,
  input,
  session,
  from,
}: {
  db: Db;
  settings: AccountSettings;
  input: SignUpInput;
  session?: SessionTarget;
  from?: { ip: string; limits: RateLimits };
}): Promise<AccountView> {
  if (from) {
    await from.limits.consumeSignUp(from.ip);
    await checkSignUpAllowed({ db, mode: settings.signUpMode, inviteCode: input.inviteCode });
  }
  // The operator's command needs no code; over HTTP in invite mode, one use is taken with the account.
  const inviteCode = from && settings.signUpMode === 'invite' ? input.inviteCode : undefined;
  const funded = settings.startingCredits > 0 && (!from || (await from.limits.takeFundedSignUp(from.ip)));
  const passwordHash = await hash(input.password);
  let user: AuthUser;
  try {
    user = await db.$transaction(async (tx) => {
      await tx.$executeRaw`select pg_advisory_xact_lock(hashtext('darkroom:first-account'))`;
      const accounts = await tx.user.count({ where: { passwordHash: { not: null } } });
      // ADMIN_EMAIL makes an admin only of an account the operator creates (the admin command, no
      // `from`): over HTTP anyone could sign up first with that address, and nothing proves it is theirs.
      const role = accounts === 0 || (!from && input.email === settings.adminEmail) ? 'admin' : 'user';
      const inviteId = inviteCode ? await takeInvite(tx, inviteCode) : null;
      const created = await tx.user.create({
        data: { email: input.email, passwordHash, role, inviteId },
        select: { id: true, email: true, role: true },
      });
      if (funded)
        await grantCredits(tx, { userId: created.id, amount: settings.startingCredits, note: 'starting credits' });
      if (accounts === 0) await adoptLocalUser(tx, created.id);
      return created;
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new DomainError('CONFLICT', `an account for ${input.email} already exists; log in instead`, {
        field: 'email',
      });
    }
    throw error;
  }
  if (session) await startSession({ db, settings, userId: user.id, session });
  return getAccount({ db, userId: user.id });
}

/** Jobs and uploads made before accounts existed belong to the first account from now on. */
async function adoptLocalUser(tx: Tx, userId: string) {
  const local = await tx.user.findUnique({ where: { email: LOCAL_USER_EMAIL }, select: { id: true } });
  if (!local) return;
  await tx.job.updateMany({ where: { userId: local.id }, data: { userId } });
  await tx.reference.updateMany({ where: { userId: local.id }, data: { userId } });
  await tx.user.delete({ where: { id: local.id } });
}

/**
 * Checks the password and starts a session. Attempts are counted per account and per address before
 * the password is checked, so guessing is throttled whether or not the guess is right.
 */
export async function logIn({
  db,
  settings,
  limits,
  input,
  session,
}: {
  db: Db;
  settings: AccountSettings;
  limits: RateLimits;
  input: LogInInput;
  session: SessionTarget;
}): Promise<AccountView> {
  await limits.consumeLoginAttempt(input.email, session.client.ip);
  const user = await db.user.findUnique({ where: { email: input.email }, select: { id: true, passwordHash: true } });
  const valid = user?.passwordHash
    ? await verify(user.passwordHash, input.password)
    : (await verify(await DUMMY_HASH, input.password), false);
  if (!user || !valid) throw new DomainError('UNAUTHORIZED', 'wrong email or password');
  await limits.forgetLoginAttempts(input.email, session.client.ip);
  await startSession({ db, settings, userId: user.id, session });
  return getAccount({ db, userId: user.id });
}

async function startSession({
  db,
  settings,
  userId,
  session,
}: {
  db: Db;
  settings: AccountSettings;
  userId: string;
  session: SessionTarget;
}) {
  const token = newSessionToken();
  const expiresAt = new Date(Date.now() + settings.sessionTtlMs);
  // Expired sessions of this account go when it signs in again, so the table does not grow forever.
  await db.session.deleteMany({ where: { userId, expiresAt: { lt: new Date() } } });
  await db.session.create({
    data: {
      id: sha256(token),
      userId,
      expiresAt,
      ip: session.client.ip,
      userAgent: session.client.userAgent?.slice(0, 500) ?? null,
    },
  });
  session.cookie.set(token, expiresAt);
}

/** Ends the session the request came with (if any) and clears the cookie. */
export async function logOut({
  db,
  sessionId,
  cookie,
}: {
  db: Db;
  sessionId: string | null;
  cookie: Context['cookie'];
}): Promise<{ ok: true }> {
  if (sessionId) await db.session.deleteMany({ where: { id: sessionId } });
  cookie.clear();
  return { ok: true };
}

export async function getAccount({ db, userId }: { db: Db; userId: string }): Promise<AccountView> {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { id: true, email: true, role: true, creditBalance: true },
  });
  if (!user) throw new DomainError('UNAUTHORIZED', 'this account no longer exists');
  return user;
}

/** The signed-in account, if any, whether anyone has signed up yet, and who may sign up. */
export async function getAuthStatus({
  db,
  settings,
  user,
}: {
  db: Db;
  settings: Pick<AccountSettings, 'signUpMode'>;
  user: AuthUser | null;
}): Promise<AuthStatusView> {
  const account = user ? await getAccount({ db, userId: user.id }).catch(() => null) : null;
  const hasAccounts = account ? true : (await db.user.count({ where: { passwordHash: { not: null } } })) > 0;
  return { account, hasAccounts, signUpMode: settings.signUpMode };
}
