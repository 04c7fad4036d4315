/**
 * Reading the caller's credits and, for admins, granting them. Reservations, charges and refunds are
 * written by the job services and the worker (see @darkroom/db's credits.ts).
 */
import { DomainError, pricePerImage, type CreditGrant, type CreditsView, type PriceListView } from '@darkroom/core';
import { grantCredits, type Db } from '@darkroom/db';
import type { AuthUser } from '../context.js';
import type { AccountSettings } from '../env.js';

/** The configured price table, and each provider's price per image as a submit would charge it. */
export function listPrices({ settings }: { settings: Pick<AccountSettings, 'prices' | 'enabledProviders'> }): PriceListView {
  const providers = settings.enabledProviders.map((provider) => ({ provider, creditsPerImage: pricePerImage(settings.prices, { provider }) }));
  return { prices: { ...settings.prices }, providers: providers.sort((a, b) => a.creditsPerImage - b.creditsPerImage) };
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
export async function grantCreditsTo({ db, admin, input }: { db: Db; admin: AuthUser; input: CreditGrant }): Promise<{ email: string; balance: number }> {
  const target = await db.user.findUnique({ where: { email: input.email }, select: { id: true, email: true } });
  if (!target) throw new DomainError('NOT_FOUND', `no account for ${input.email}`);
  const balance = await db.$transaction((tx) =>
    grantCredits(tx, { userId: target.id, amount: input.amount, note: `${input.note ?? 'grant'} (by ${admin.email})` }),
  );
  return { email: target.email, balance };
}
