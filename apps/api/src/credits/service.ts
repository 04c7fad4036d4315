/**
 * Reading the caller's credits and, for admins, granting them. Reservations, charges and refunds are
 * written by the job services and the worker (see @darkroom/db's credits.ts).
 */
import {
  DomainError,
  pricePerImage,
  PRIORITIES,
  type CreditGrant,
  type CreditsView,
  type PriceListView,
  type Priority,
} from '@darkroom/core';
import { grantCredits, type Db } from '@darkroom/db';
import type { AuthUser } from '../context.js';
import type { AccountSettings } from '../env.js';

/** The configured price table, each provider's price per image as a submit would charge it, and the priorities the caller may use. */
export function listPrices({
  settings,
  user,
}: {
  settings: Pick<AccountSettings, 'prices' | 'enabledProviders' | 'allowedPriorities'>;
  user: AuthUser;
}): PriceListView {
  const providers = settings.enabledProviders.map((provider) => ({
    provider,
    creditsPerImage: pricePerImage(settings.prices, { provider }),
  }));
  return {
    prices: { ...settings.prices },
    providers: providers.sort((a, b) => a.creditsPerImage - b.creditsPerImage),
    priorities: prioritiesFor(settings, user),
  };
}

/** The priorities `user` may ask for: all for an admin, PRIORITY_ALLOWED for anyone else. */
export function prioritiesFor(settings: Pick<AccountSettings, 'allowedPriorities'>, user: AuthUser): Priority[] {
  return user.role === 'admin'
    ? [...PRIORITIES]
    : PRIORITIES.filter((priority) => settings.allowedPriorities.includes(priority));
}

/** The balance and the newest ledger entries (at most `limit`). */
export async function getCredits({ db, user, limit }: { db: Db; user: AuthUser; limit: number }): Promise<CreditsView> {
  const [account, entries] = await Promise.all([
    db.user.findUniqueOrThrow({ where: { id: user.id }, select: { creditBalance: true } }),
    db.creditEntry.findMany({ where: { userId: user.id }, orderBy: { id: 'desc' }, take: limit }),
  ]);
  return {
    balance: account.creditBalance,
    entries: entries.map((entry) => ({
      id: entry.id.toString(),
      kind: entry.kind,
      amount: entry.amount,
      balanceAfter: entry.balanceAfter,
      jobId: entry.jobId,
      note: entry.note,
      createdAt: entry.createdAt.toISOString(),
    })),
  };
}

/** An admin adds (or takes back) credits; the ledger records who did it. */
export async function grantCreditsTo({
  db,
  admin,
  input,
}: {
  db: Db;
  admin: AuthUser;
  input: CreditGrant;
}): Promise<{ email: string; balance: number }> {
  const target = await db.user.findUnique({ where: { email: input.email }, select: { id: true, email: true } });
  if (!target) throw new DomainError('NOT_FOUND', `no account for ${input.email}`);
  const balance = await db.$transaction((tx) =>
    grantCredits(tx, { userId: target.id, amount: input.amount, note: `${input.note ?? 'grant'} (by ${admin.email})` }),
  );
  return { email: target.email, balance };
}
