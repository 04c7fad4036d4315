import { describe, expect, it } from 'vitest';
import { DOMAIN_ERROR_CODES, DOMAIN_ERRORS, EXIT_CODES, isDomainErrorCode } from './errors.js';

describe('the error table', () => {
  it('gives every domain error code a value for every surface', () => {
    expect(Object.keys(DOMAIN_ERRORS).sort()).toEqual(Object.keys(DOMAIN_ERROR_CODES).sort());
    for (const [code, row] of Object.entries(DOMAIN_ERRORS)) {
      expect(row.restCode).toBe(code);
      expect(row.trpc).toMatch(/^[A-Z_]+$/);
      expect(row.httpStatus).toBeGreaterThanOrEqual(400);
      expect(row.httpStatus).toBeLessThan(500);
      expect(row.openai.httpStatus).toBeGreaterThanOrEqual(400);
      expect(row.openai.type.length).toBeGreaterThan(0);
      expect(row.openai.code.length).toBeGreaterThan(0);
      expect(Object.values(EXIT_CODES)).toContain(row.exitCode);
      expect(row.exitCode).not.toBe(EXIT_CODES.OK);
      expect(typeof row.retryable).toBe('boolean');
    }
  });

  it('answers an invalid state with 409 on every HTTP surface', () => {
    expect(DOMAIN_ERRORS.INVALID_STATE).toMatchObject({
      trpc: 'CONFLICT',
      httpStatus: 409,
      openai: { httpStatus: 409 },
    });
  });

  it('says only a rate limit is worth repeating unchanged', () => {
    const retryable = Object.entries(DOMAIN_ERRORS)
      .filter(([, row]) => row.retryable)
      .map(([code]) => code);
    expect(retryable).toEqual(['RATE_LIMITED']);
  });

  it('tells a domain code from any other string', () => {
    expect(isDomainErrorCode('INVALID_STATE')).toBe(true);
    expect(isDomainErrorCode('PRECONDITION_FAILED')).toBe(false);
    expect(isDomainErrorCode('toString')).toBe(false);
  });
});
