import { JobRequest, MAX_IMAGES_PER_JOB } from '@darkroom/core';
import { TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import {
  describeJobError,
  describeRequestError,
  fieldErrors,
  isNetworkError,
  isRefusal,
  refusedFieldOf,
  retryAfterSecondsOf,
  retryCanHelp,
  zodIssuesOf,
} from './errors.js';

/** A tRPC client error as the client builds it from the API's answer (the shape trpc.ts formats). */
function answered(
  message: string,
  data: {
    code: string;
    httpStatus: number;
    domainCode: string | null;
    details?: Record<string, unknown>;
    zodIssues?: unknown[];
  },
) {
  return TRPCClientError.from({
    error: { message, code: -32000, data: { path: null, details: null, zodIssues: null, ...data } },
  });
}

describe('fieldErrors', () => {
  it("maps the shared schema's issues to the first message per field", () => {
    const result = JobRequest.safeParse({ prompt: '   ', numImages: 99 });
    expect(result.success).toBe(false);
    const errors = fieldErrors(result.error!.issues);
    expect(Object.keys(errors).sort()).toEqual(['numImages', 'prompt']);
    expect(errors).toEqual({
      prompt: 'Write a prompt: say what the image should show.',
      numImages: `Choose 1 to ${MAX_IMAGES_PER_JOB} images.`,
    });
  });

  it("reads the API's zodIssues from a tRPC error", () => {
    const error = answered('bad input', {
      code: 'BAD_REQUEST',
      httpStatus: 400,
      domainCode: 'BAD_INPUT',
      zodIssues: [{ path: ['numImages'], message: `Too big: expected number to be <=${MAX_IMAGES_PER_JOB}` }],
    });
    expect(fieldErrors(zodIssuesOf(error))).toEqual({ numImages: `Choose 1 to ${MAX_IMAGES_PER_JOB} images.` });
    expect(zodIssuesOf(new Error('network'))).toBeNull();
  });
});

describe('describeJobError', () => {
  it('says what happened in words', () => {
    expect(describeJobError({ code: 'content_filtered', message: 'x', retryable: false })).toMatch(/safety/);
  });
});

describe('describeRequestError', () => {
  const at = new Date('2026-01-01T12:00:00Z');

  it('says when a rate-limited caller may try again', () => {
    const error = answered('too many submits; try again in 42 s', {
      code: 'TOO_MANY_REQUESTS',
      httpStatus: 429,
      domainCode: 'RATE_LIMITED',
      details: { retryAfterSeconds: 42 },
    });
    expect(describeRequestError(error, at)).toMatch(/Try again in 42 s \(at .+\)/);
    expect(retryAfterSecondsOf(error)).toBe(42);
  });

  it('names the balance and the cost when credits run out', () => {
    const error = answered('this needs 8 credits', {
      code: 'PAYMENT_REQUIRED',
      httpStatus: 402,
      domainCode: 'INSUFFICIENT_CREDITS',
      details: { balance: 3, cost: 8 },
    });
    expect(describeRequestError(error, at)).toBe(
      'Not enough credits: this needs 8 credits and your balance is 3. Ask an admin for more, or ask for fewer images.',
    );
  });

  it("says why an invite code was refused, and which field it names, rather than 'needs an admin'", () => {
    const error = answered('this invite code has expired', {
      code: 'FORBIDDEN',
      httpStatus: 403,
      domainCode: 'FORBIDDEN',
      details: { field: 'inviteCode', reason: 'expired' },
    });
    expect([describeRequestError(error, at), refusedFieldOf(error)]).toEqual([
      'this invite code has expired',
      'inviteCode',
    ]);
    const adminsOnly = answered('admins only', { code: 'FORBIDDEN', httpStatus: 403, domainCode: 'FORBIDDEN' });
    expect([describeRequestError(adminsOnly, at), refusedFieldOf(adminsOnly)]).toEqual([
      'This needs an admin account.',
      null,
    ]);
  });

  it('tells a lost connection from an answer', () => {
    const lost = new TypeError('Failed to fetch');
    expect(isNetworkError(lost)).toBe(true);
    expect(describeRequestError(lost)).toMatch(/network connection was lost/);
    expect(isNetworkError(answered('fetch', { code: 'BAD_REQUEST', httpStatus: 400, domainCode: 'BAD_INPUT' }))).toBe(
      false,
    );
  });
});

describe('describeJobError in words', () => {
  it('covers provider down, timeout and rate limits', () => {
    expect(describeJobError({ code: 'transient', message: '503', retryable: true })).toMatch(/down/);
    expect(describeJobError({ code: 'timeout', message: 'x', retryable: true })).toMatch(/too long/);
    expect(describeJobError({ code: 'rate_limited', message: 'x', retryable: true })).toMatch(/rate limiting/);
  });
});

describe('plain words for every field', () => {
  it('never shows zod text: prompt too long, email, password, numbers', () => {
    const long = JobRequest.safeParse({ prompt: 'x'.repeat(4100), numImages: 0 });
    expect(fieldErrors(long.error!.issues)).toEqual({
      prompt: 'Shorten the prompt to 4,000 characters or fewer.',
      numImages: `Choose 1 to ${MAX_IMAGES_PER_JOB} images.`,
    });
    const words = Object.values(fieldErrors(JobRequest.safeParse({ prompt: '', numImages: 'x' }).error!.issues));
    for (const word of words) expect(word).not.toMatch(/expected|Too big|Too small|Invalid/);
  });
});

describe('retryCanHelp', () => {
  it('offers no Retry when every failure is a refusal of the prompt', () => {
    const refused = { code: 'content_filtered' as const, message: 'x', retryable: false };
    const down = { code: 'transient' as const, message: 'x', retryable: true };
    expect(retryCanHelp([refused, refused])).toBe(false);
    expect(retryCanHelp([refused, down])).toBe(true);
    expect(isRefusal([null, refused])).toBe(true);
  });
});
