import type { CreditEntryView } from '@darkroom/core';
import { describe, expect, it } from 'vitest';
import { foldLedger } from './ledger.js';

const entry = (id: string, kind: CreditEntryView['kind'], amount: number, balanceAfter: number, jobId: string | null) =>
  ({ id, kind, amount, balanceAfter, jobId, note: null, createdAt: `2026-01-01T00:00:0${id}Z` }) as CreditEntryView;

describe('foldLedger', () => {
  it('folds reserve, charge and refund into one line per job, plurals right', () => {
    const lines = foldLedger([
      entry('6', 'reserve', -1, 95, 'b'),
      entry('5', 'refund', 2, 96, 'a'),
      entry('4', 'charge', 0, 94, 'a'),
      entry('3', 'reserve', -4, 94, 'a'),
      entry('2', 'charge', 0, 98, 'c'),
      entry('1', 'reserve', -1, 99, 'c'),
      entry('0', 'grant', 100, 100, null),
    ]);
    expect(lines.map((line) => [line.jobId, line.words, line.amount, line.balanceAfter])).toEqual([
      ['b', '1 credit held while the job runs', -1, 95],
      ['a', '2 credits spent (2 given back for images not made)', -2, 96],
      ['c', '1 credit spent', -1, 98],
      [null, '100 credits granted', 100, 100],
    ]);
  });
});
