import { CreditGrant, CreditsView, LedgerPageInput, LedgerPageView, PriceListView } from '@darkroom/core';
import { z } from 'zod';
import { adminProcedure, protectedProcedure, router } from '../trpc.js';
import { listLedger } from './ledger.js';
import { getCredits, grantCreditsTo, listPrices } from './service.js';

export const creditsRouter = router({
  /** Balance and the newest ledger entries. */
  get: protectedProcedure
    .input(z.object({ limit: z.number().int().min(1).max(500).default(50) }).default({ limit: 50 }))
    .output(CreditsView)
    .query(({ ctx: { db, user }, input }) => getCredits({ db, user, limit: input.limit })),
  /** Balance and the ledger one line per job (reserve, charge and refund folded), a cursor page at a time. */
  ledger: protectedProcedure
    .input(LedgerPageInput.default({ limit: 20 }))
    .output(LedgerPageView)
    .query(({ ctx: { db, user }, input }) => listLedger({ db, user, input })),
  /** What one image costs per provider, so a form can show a job's cost before it is submitted. */
  prices: protectedProcedure
    .output(PriceListView)
    .query(({ ctx: { settings, user } }) => listPrices({ settings, user })),
  /** Admins only: add credits to an account (negative amounts take them back, never below 0). */
  grant: adminProcedure
    .input(CreditGrant)
    .output(z.object({ email: z.string(), balance: z.number().int() }))
    .mutation(({ ctx: { db, user }, input }) => grantCreditsTo({ db, admin: user, input })),
});
