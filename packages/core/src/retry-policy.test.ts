import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideRetry, IMAGE_RETRY, STORE_RETRY, type RetryPolicy } from './retry-policy.js';

const policy: RetryPolicy = { maxAttempts: 4, baseMs: 100, capMs: 1000, maxRetryAfterMs: 2000 };

describe('decideRetry', () => {
  it('never retries what cannot pass, and stops at maxAttempts', () => {
    expect(decideRetry(policy, { attempts: 1, retryable: false })).toEqual({ retry: false });
    expect(decideRetry(policy, { attempts: 3, retryable: true }, () => 0.5)).toEqual({ retry: true, delayMs: 200 });
    expect(decideRetry(policy, { attempts: 4, retryable: true })).toEqual({ retry: false });
  });

  it('waits base x 2^(n-1) at most, capped, with full jitter', () => {
    expect(decideRetry(policy, { attempts: 1, retryable: true }, () => 0.999)).toEqual({ retry: true, delayMs: 99.9 });
    expect(decideRetry({ ...policy, maxAttempts: 20 }, { attempts: 10, retryable: true }, () => 1)).toEqual({
      retry: true,
      delayMs: 1000,
    });
    expect(decideRetry(policy, { attempts: 2, retryable: true }, () => 0)).toEqual({ retry: true, delayMs: 0 });
  });

  it("takes the vendor's retry-after, cut to maxRetryAfterMs", () => {
    expect(decideRetry(policy, { attempts: 1, retryable: true, retryAfterMs: 1500 })).toEqual({
      retry: true,
      delayMs: 1500,
    });
    expect(decideRetry(policy, { attempts: 1, retryable: true, retryAfterMs: 86_400_000 })).toEqual({
      retry: true,
      delayMs: 2000,
    });
    expect(decideRetry(policy, { attempts: 1, retryable: true, retryAfterMs: -5 })).toEqual({
      retry: true,
      delayMs: 0,
    });
  });

  it('any delay lies within [0, min(cap, base x 2^(n-1))]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempts, r) => {
        const decision = decideRetry({ ...IMAGE_RETRY, maxAttempts: 100 }, { attempts, retryable: true }, () => r);
        return (
          decision.retry &&
          decision.delayMs >= 0 &&
          decision.delayMs <= Math.min(IMAGE_RETRY.capMs, IMAGE_RETRY.baseMs * 2 ** (attempts - 1))
        );
      }),
    );
  });

  it('has policies for images and for storing', () => {
    expect(IMAGE_RETRY.maxAttempts).toBe(3);
    expect(STORE_RETRY.maxAttempts).toBeGreaterThan(1);
  });
});
