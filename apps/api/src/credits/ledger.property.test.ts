import { TRPCError } from '@trpc/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';
import { ledgerViolations, makeJobRunner } from '../../test/ledger.js';

let h: Harness;
let run: ReturnType<typeof makeJobRunner>;
beforeAll(async () => {
  h = await makeHarness({ settings: { startingCredits: 12, prices: { mock: 1, local: 3 } } });
  run = makeJobRunner({ db: h.db, storage: h.storage, failures: { content_filtered: 0.4 } });
});
afterAll(() => h.close());

type Op =
  | { kind: 'submit'; numImages: number; provider: 'mock' | 'local'; seed: number }
  | { kind: 'batch'; sizes: number[] }
  | { kind: 'cancel' | 'finish' | 'retry'; pick: number }
  | { kind: 'grant'; amount: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('submit' as const),
    numImages: fc.integer({ min: 1, max: 5 }),
    provider: fc.constantFrom('mock' as const, 'local' as const),
    seed: fc.integer({ min: 0, max: 1000 }),
  }),
  fc.record({
    kind: fc.constant('batch' as const),
    sizes: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ kind: fc.constantFrom('cancel' as const, 'finish' as const, 'retry' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('grant' as const), amount: fc.integer({ min: -20, max: 20 }).filter((n) => n !== 0) }),
);

/** The errors a random sequence may meet; anything else is a bug. */
const EXPECTED = new Set(['PAYMENT_REQUIRED', 'CONFLICT', 'BAD_REQUEST']);

describe('the credit ledger', () => {
  it('sums to the balance, never below 0, after any mix of submits, batches, cancels, finishes, retries and grants', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 10 }), async (ops) => {
        const someone = await h.makeUser(`prop-${runs++}@example.com`);
        const jobIds: string[] = [];
        for (const step of ops) {
          const pickJob = (pick: number) => jobIds[pick % Math.max(1, jobIds.length)];
          try {
            if (step.kind === 'submit') {
              jobIds.push(
                (
                  await someone.caller.jobs.create({
                    prompt: `p ${step.seed}`,
                    seed: step.seed,
                    numImages: step.numImages,
                    provider: step.provider,
                  })
                ).id,
              );
            } else if (step.kind === 'batch') {
              const batch = await someone.caller.jobs.createBatch({
                requests: step.sizes.map((numImages, i) => ({
                  prompt: `b ${i}`,
                  numImages,
                  provider: 'mock' as const,
                  seed: i,
                })),
              });
              jobIds.push(...batch.jobs.map((job) => job.id));
            } else if (step.kind === 'grant') {
              await h.admin.caller.credits.grant({ email: someone.user.email, amount: step.amount });
            } else {
              const id = pickJob(step.pick);
              if (!id) continue;
              if (step.kind === 'cancel') await someone.caller.jobs.cancel({ id });
              if (step.kind === 'finish') await run(id);
              if (step.kind === 'retry') await someone.caller.jobs.retry({ id });
            }
          } catch (error) {
            if (!(error instanceof TRPCError && EXPECTED.has(error.code))) throw error;
          }
          expect(await ledgerViolations(h.db)).toEqual([]);
        }
      }),
      { numRuns: 15, seed: 20261124 },
    );
  });
});
