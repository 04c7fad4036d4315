/**
 * A ledger line in words. The API folds a job's reserve, charge (0, a marker) and refund into one
 * line (`credits.ledger`); a person wants "3 credits spent", not three rows. Grants stay one line each.
 */
import type { LedgerLineView } from '@darkroom/core';
import { plural } from './plain-words.js';

export function ledgerWords(line: Pick<LedgerLineView, 'kind' | 'amount' | 'spent' | 'refunded' | 'settled'>): string {
  if (line.kind === 'grant')
    return line.amount >= 0 ? `${plural(line.amount, 'credit')} granted` : `${plural(-line.amount, 'credit')} taken`;
  if (!line.settled) return `${plural(-line.amount, 'credit')} held while the job runs`;
  return `${plural(line.spent, 'credit')} spent${line.refunded > 0 ? ` (${line.refunded} given back for images not made)` : ''}`;
}
