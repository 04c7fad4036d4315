/**
 * When to try again, as named data: one pure function decides for every retry loop in Darkroom.
 *
 * An image's attempts at its provider (IMAGE_MAX_ATTEMPTS, IMAGE_RETRY_BASE_MS, IMAGE_RETRY_CAP_MS)
 * and storing an image already paid for (STORE_RETRY: the vendor is never called again for it) each
 * have a policy. The delay is exponential with full jitter (AWS's "Exponential Backoff and Jitter"),
 * or the vendor's retry-after when it gave one, never longer than `maxRetryAfterMs`.
 */
export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  /** The first retry waits up to this long. */
  baseMs: number;
  /** No jittered wait is longer than this. */
  capMs: number;
  /** A vendor's retry-after longer than this is cut to it (a hostile header must not park a run). */
  maxRetryAfterMs: number;
}

export const IMAGE_RETRY: RetryPolicy = { maxAttempts: 3, baseMs: 500, capMs: 30_000, maxRetryAfterMs: 300_000 };
export const STORE_RETRY: RetryPolicy = { maxAttempts: 4, baseMs: 250, capMs: 5_000, maxRetryAfterMs: 5_000 };

export interface RetryInput {
  /** Tries made so far under this policy (1 after the first failure). */
  attempts: number;
  /** Whether the failure may pass (a provider's `retryable`; any error for storing). */
  retryable: boolean;
  /** The vendor's retry-after, when it gave one. */
  retryAfterMs?: number;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/** Retry or not, and after how long. `random` is injectable so a test can pin the jitter. */
export function decideRetry(policy: RetryPolicy, input: RetryInput, random: () => number = Math.random): RetryDecision {
  if (!input.retryable || input.attempts >= policy.maxAttempts) return { retry: false };
  if (input.retryAfterMs !== undefined)
    return { retry: true, delayMs: Math.min(Math.max(0, input.retryAfterMs), policy.maxRetryAfterMs) };
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (input.attempts - 1));
  return { retry: true, delayMs: random() * ceiling };
}
