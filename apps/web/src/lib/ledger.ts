/**
 * The ledger one line per job: a job writes a reserve, then a charge (0, a marker) and a refund when it
 * ends; a person wants "3 credits spent", not three rows. Grants stay one line each.
 */
import type { CreditEntryView } from '@darkroom/core';
import { plural } from './plain-words.js';

export interface LedgerLine {
  key: string;
  jobId: string | null;
  /** The newest entry's time. */
  createdAt: string;
  words: string;
  /** The net change of the balance: negative when spent. */
  amount: number;
  balanceAfter: number;
}

/** Entries newest first (as `credits.get` returns them) to lines newest first. */
export function foldLedger(entries: readonly CreditEntryView[]): LedgerLine[] {
  const lines: LedgerLine[] = [];
  const byJob = new Map<string, CreditEntryView[]>();
  for (const entry of entries) {
    if (!entry.jobId) {
      lines.push({
        key: entry.id,
        jobId: null,
        createdAt: entry.createdAt,
        words:
          entry.amount >= 0 ? `${plural(entry.amount, 'credit')} granted` : `${plural(-entry.amount, 'credit')} taken`,
        amount: entry.amount,
        balanceAfter: entry.balanceAfter,
      });
      continue;
    }
    const group = byJob.get(entry.jobId);
    if (group) group.push(entry);
    else {
      const fresh = [entry];
      byJob.set(entry.jobId, fresh);
      // The line sits where the job's newest entry is.
      lines.push({ key: entry.jobId, jobId: entry.jobId, createdAt: '', words: '', amount: 0, balanceAfter: 0 });
    }
  }
  for (const line of lines) {
    if (!line.jobId) continue;
    const group = byJob.get(line.jobId)!;
    const newest = group[0]!;
    const amount = group.reduce((sum, entry) => sum + entry.amount, 0);
    const refunded = group.filter((entry) => entry.kind === 'refund').reduce((sum, entry) => sum + entry.amount, 0);
    const settled = group.some((entry) => entry.kind === 'charge' || entry.kind === 'refund');
    const spent = -amount;
    line.createdAt = newest.createdAt;
    line.amount = amount;
    line.balanceAfter = newest.balanceAfter;
    line.words = settled
      ? `${plural(spent, 'credit')} spent${refunded > 0 ? ` (${refunded} given back for images not made)` : ''}`
      : `${plural(spent, 'credit')} held while the job runs`;
  }
  return lines;
}
