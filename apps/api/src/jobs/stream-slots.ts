/**
 * Open live streams and synchronous waiters (OpenAI-compatible requests) per user and per process.
 * Each one holds a connection and reads the database while it lasts, so without a cap one caller with
 * a thousand EventSources is a thousand readers (audit F7). Counted in this process: behind a balancer
 * each replica holds its own share, which is what protects it.
 */
import { DomainError } from '@darkroom/core';

/** How long a caller refused for want of a slot is told to wait before trying again. */
const RETRY_AFTER_SECONDS = 5;

export interface StreamSlots {
  /** Takes a slot for `userId`, or throws RATE_LIMITED; the answer gives it back (once). */
  acquire(userId: string): () => void;
  /** Slots in use now, in this process. */
  readonly inUse: number;
}

export function makeStreamSlots({ perUser, perProcess }: { perUser: number; perProcess: number }): StreamSlots {
  const byUser = new Map<string, number>();
  let total = 0;
  return {
    acquire(userId) {
      const mine = byUser.get(userId) ?? 0;
      if (mine >= perUser) {
        throw new DomainError(
          'RATE_LIMITED',
          `at most ${perUser} live streams and waiting requests per account at once; close one first`,
          { retryAfterSeconds: RETRY_AFTER_SECONDS },
        );
      }
      if (total >= perProcess) {
        throw new DomainError('RATE_LIMITED', 'this server holds as many live streams as it takes; try again shortly', {
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        });
      }
      byUser.set(userId, mine + 1);
      total++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total--;
        const left = (byUser.get(userId) ?? 1) - 1;
        if (left > 0) byUser.set(userId, left);
        else byUser.delete(userId);
      };
    },
    get inUse() {
      return total;
    },
  };
}
