import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRIORITIES } from './job.js';
import { bandOf, BAND_WIDTH, estimateWaitSeconds, promotedRank, queueRankFor } from './queue.js';

describe('queue ranks', () => {
  it('keep every band ahead of the next, whatever the slots', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), (a, b) => {
        for (let i = 0; i < PRIORITIES.length - 1; i++) {
          // PRIORITIES runs low -> urgent; a higher priority always has the lower rank.
          expect(queueRankFor(PRIORITIES[i + 1]!, a)).toBeLessThan(queueRankFor(PRIORITIES[i]!, b));
        }
      }),
    );
  });

  it("fit graphile-worker's smallint priority and know their band", () => {
    fc.assert(
      fc.property(fc.constantFrom(...PRIORITIES), fc.integer({ min: 0, max: 1_000_000 }), (priority, slot) => {
        const rank = queueRankFor(priority, slot);
        expect(rank).toBeGreaterThanOrEqual(-32768);
        expect(rank).toBeLessThanOrEqual(32767);
        expect(bandOf(rank)).toBe(priority);
      }),
    );
  });

  it("put a user's first job ahead of another user's deep backlog in the same band", () => {
    expect(queueRankFor('normal', 0)).toBeLessThan(queueRankFor('normal', 499));
    expect(queueRankFor('normal', BAND_WIDTH + 5)).toBe(queueRankFor('normal', BAND_WIDTH - 1));
  });

  it('promote a low job into the normal band with the same slot', () => {
    expect(promotedRank(queueRankFor('low', 7))).toBe(queueRankFor('normal', 7));
  });
});

describe('estimateWaitSeconds', () => {
  it('divides the jobs ahead (and this one) by the start rate', () => {
    expect(estimateWaitSeconds(9, 2)).toBe(5);
    expect(estimateWaitSeconds(0, null)).toBeNull();
    expect(estimateWaitSeconds(3, 0)).toBeNull();
  });
});
