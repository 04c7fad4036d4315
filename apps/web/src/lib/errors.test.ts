import { JobRequest } from '@darkroom/core';
import { describe, expect, it } from 'vitest';
import { describeJobError, fieldErrors, zodIssuesOf } from './errors.js';

describe('fieldErrors', () => {
  it('maps the shared schema\'s issues to the first message per field', () => {
    const result = JobRequest.safeParse({ prompt: '   ', numImages: 99 });
    expect(result.success).toBe(false);
    const errors = fieldErrors(result.error!.issues);
    expect(Object.keys(errors).sort()).toEqual(['numImages', 'prompt']);
    expect(errors.prompt).toMatch(/empty/);
  });

  it('reads the API\'s zodIssues from a tRPC error', () => {
    const error = { data: { zodIssues: [{ path: ['numImages'], message: 'Too big: expected number to be <=8' }] } };
    expect(fieldErrors(zodIssuesOf(error))).toEqual({ numImages: 'Too big: expected number to be <=8' });
    expect(zodIssuesOf(new Error('network'))).toBeNull();
  });
});

describe('describeJobError', () => {
  it('says what happened in words', () => {
    expect(describeJobError({ code: 'content_filtered', message: 'x', retryable: false })).toMatch(/safety/);
  });
});
