import { describe, expect, it } from 'vitest';
import { ledgerWords } from './ledger.js';

describe('ledgerWords', () => {
  it('says what a folded job line or a grant did, plurals right', () => {
    const job = { kind: 'job' as const, settled: true, refunded: 0 };
    expect(ledgerWords({ ...job, settled: false, amount: -1, spent: 0 })).toBe('1 credit held while the job runs');
    expect(ledgerWords({ ...job, amount: -2, spent: 2, refunded: 2 })).toBe(
      '2 credits spent (2 given back for images not made)',
    );
    expect(ledgerWords({ ...job, amount: -1, spent: 1 })).toBe('1 credit spent');
    expect(ledgerWords({ ...job, kind: 'grant', amount: 100, spent: 0 })).toBe('100 credits granted');
    expect(ledgerWords({ ...job, kind: 'grant', amount: -1, spent: 0 })).toBe('1 credit taken');
  });
});
