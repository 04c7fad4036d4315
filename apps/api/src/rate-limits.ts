/**
 * Request limits shared by every API replica: rate-limiter-flexible's counters live in Postgres
 * (`rate_limits`, the table the worker's provider limits use too), so a caller cannot get around a
 * limit by landing on another replica.
 */
import { DomainError } from '@darkroom/core';
import type { lifecycle } from '@darkroom/db';
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { AccountSettings } from './env.js';

const LOGIN_WINDOW_SECONDS = 15 * 60;

export interface RateLimits {
  /** Counts `count` submitted jobs against the user's per-minute budget, or throws RATE_LIMITED. */
  consumeSubmits(userId: string, count: number): Promise<void>;
  /** The same count made inside the accept's own statement (lifecycle's acceptJob `submits`): one round trip fewer. */
  submitCounter(userId: string, count: number): lifecycle.SubmitCount;
  /** The RATE_LIMITED consumeSubmits throws, for a count the accept refused (`msBeforeNext` to its reset). */
  submitsRefusal(msBeforeNext: number): DomainError;
  /**
   * Counts one log-in attempt from the address, and for the account from that address, or throws
   * RATE_LIMITED. Per account and address, not per account: a stranger guessing from elsewhere locks
   * out only themselves, never the owner.
   */
  consumeLoginAttempt(email: string, ip: string): Promise<void>;
  /** A correct password clears the account's failed attempts from that address. */
  forgetLoginAttempts(email: string, ip: string): Promise<void>;
  /** Counts one sign-up from the address, or throws RATE_LIMITED. */
  consumeSignUp(ip: string): Promise<void>;
  /** Whether a sign-up from the address still gets starting credits today (counts it when it does). */
  takeFundedSignUp(ip: string): Promise<boolean>;
  /** Counts one reference upload of the user (REFERENCE_UPLOADS_PER_MINUTE), or throws RATE_LIMITED. */
  consumeReferenceUpload(userId: string): Promise<void>;
}

export function makeRateLimits(pool: pg.Pool, settings: AccountSettings): RateLimits {
  const limiter = (keyPrefix: string, points: number, duration: number) =>
    new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: 'rate_limits',
      tableCreated: true,
      keyPrefix,
      points,
      duration,
    });
  const SUBMITS_WINDOW_SECONDS = 60;
  const submits = limiter('submits', settings.submitsPerMinute, SUBMITS_WINDOW_SECONDS);
  const submitsMessage = `more than ${settings.submitsPerMinute} jobs submitted in a minute`;
  const loginAccount = limiter('login-account-ip', settings.loginAttemptsPerAccount, LOGIN_WINDOW_SECONDS);
  const accountFrom = (email: string, ip: string) => `${email} ${ip}`;
  const loginIp = limiter('login-ip', settings.loginAttemptsPerIp, LOGIN_WINDOW_SECONDS);
  const signUps = limiter('signup-ip', settings.signUpsPerIpPerHour, 60 * 60);
  const fundedSignUps =
    settings.fundedSignUpsPerIpPerDay > 0
      ? limiter('signup-funded-ip', settings.fundedSignUpsPerIpPerDay, 24 * 60 * 60)
      : null;

  const referenceUploads = limiter('reference-uploads', settings.references.uploadsPerMinute, 60);

  return {
    async consumeSubmits(userId, count) {
      await consume(submits, userId, count, submitsMessage);
    },
    submitCounter(userId, count) {
      return {
        key: submits.getKey(userId),
        points: count,
        limit: settings.submitsPerMinute,
        nowMs: Date.now(),
        windowMs: SUBMITS_WINDOW_SECONDS * 1000,
      };
    },
    submitsRefusal(msBeforeNext) {
      return rateLimited(submitsMessage, msBeforeNext);
    },
    async consumeLoginAttempt(email, ip) {
      await consume(loginIp, ip, 1, 'too many log-in attempts from this address');
      await consume(
        loginAccount,
        accountFrom(email, ip),
        1,
        'too many log-in attempts for this account from this address',
      );
    },
    async forgetLoginAttempts(email, ip) {
      await loginAccount.delete(accountFrom(email, ip));
    },
    async consumeSignUp(ip) {
      await consume(
        signUps,
        ip,
        1,
        `more than ${settings.signUpsPerIpPerHour} accounts created from this address in an hour`,
      );
    },
    async consumeReferenceUpload(userId) {
      await consume(
        referenceUploads,
        userId,
        1,
        `more than ${settings.references.uploadsPerMinute} reference uploads in a minute`,
        { limit: 'REFERENCE_UPLOADS_PER_MINUTE', maximum: settings.references.uploadsPerMinute },
      );
    },
    async takeFundedSignUp(ip) {
      if (!fundedSignUps) return false;
      try {
        await fundedSignUps.consume(ip, 1);
        return true;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return false;
        throw rejection;
      }
    },
  };
}

async function consume(
  limiter: RateLimiterPostgres,
  key: string,
  points: number,
  message: string,
  details: Record<string, unknown> = {},
) {
  try {
    await limiter.consume(key, points);
  } catch (rejection) {
    if (!(rejection instanceof RateLimiterRes)) throw rejection;
    throw rateLimited(message, rejection.msBeforeNext, details);
  }
}

function rateLimited(message: string, msBeforeNext: number, details: Record<string, unknown> = {}): DomainError {
  const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new DomainError('RATE_LIMITED', `${message}; try again in ${retryAfterSeconds} s`, {
    ...details,
    retryAfterSeconds,
  });
}
