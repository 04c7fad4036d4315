/**
 * Errors in words a person can act on, and bad-input errors mapped back onto form fields.
 */
import { darkroomErrorOf } from '@darkroom/client';
import type { JobError } from '@darkroom/core';
import { plainIssue, type IssueLike } from './plain-words.js';

type ZodIssueShape = IssueLike;

/**
 * `{ fieldName: message }` from zod issues (client-side) or the API's `error.data.zodIssues`, each
 * message in plain words (`plainIssue`).
 */
export function fieldErrors(issues: readonly ZodIssueShape[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues ?? []) {
    const field = String(issue.path[0] ?? 'form');
    out[field] ??= plainIssue(issue);
  }
  return out;
}

/** The zod issues carried by a tRPC error, if any. */
export function zodIssuesOf(error: unknown): readonly ZodIssueShape[] | null {
  const { issues } = darkroomErrorOf(error);
  return issues.length > 0 ? issues : null;
}

const JOB_ERROR_WORDS: Partial<Record<JobError['code'], string>> = {
  rate_limited: 'The image provider is rate limiting Darkroom. Darkroom retried; try again in a minute.',
  transient: 'The image provider is down or had a temporary problem. Retrying usually works.',
  timeout: 'The image provider took too long to answer. Retrying usually works.',
  content_filtered: 'The provider refused this prompt on safety grounds. Edit the prompt and try again.',
  invalid_request: 'The provider could not handle this request (size or options).',
  auth: 'Darkroom could not sign in to the image provider. An operator needs to check its API key.',
  quota_exhausted: 'The image provider account has run out of quota.',
  canceled: 'Canceled.',
  invalid_payload: 'This job was queued in a form this version of Darkroom cannot read.',
  start_deadline_exceeded: 'The job waited too long in the queue and was not started.',
  run_timeout: 'The job ran longer than its time limit.',
  internal: 'Something went wrong inside Darkroom.',
};

/** Refusals: the same request would be refused again, so the way on is to change it, not Retry. */
const REFUSALS: ReadonlySet<JobError['code']> = new Set(['content_filtered', 'invalid_request', 'invalid_payload']);

/** Whether Retry (the same request again) can help after these failures. */
export function retryCanHelp(errors: readonly (JobError | null)[]): boolean {
  const known = errors.filter((error): error is JobError => error !== null);
  return known.length === 0 || known.some((error) => !REFUSALS.has(error.code));
}

/** Whether any of these failures is a refusal of the prompt itself (so "Edit prompt" is the next step). */
export function isRefusal(errors: readonly (JobError | null)[]): boolean {
  return errors.some((error) => error !== null && REFUSALS.has(error.code));
}

/** A failed job's error as a sentence (never the internal code or the provider's raw message). */
export function describeJobError(error: JobError): string {
  return JOB_ERROR_WORDS[error.code] ?? error.message;
}

/** The request never reached Darkroom (no connection, server gone), as opposed to an answer saying no. */
export function isNetworkError(error: unknown): boolean {
  return darkroomErrorOf(error).code === 'UNREACHABLE';
}

/** Seconds until a rate-limited caller may try again (the API's `details.retryAfterSeconds`, as Retry-After). */
export function retryAfterSecondsOf(error: unknown): number | null {
  return darkroomErrorOf(error).retryAfterSeconds;
}

/** A request that failed before reaching a job: rate limits, credits, sign-in, network, server errors. */
export function describeRequestError(error: unknown, now: Date = new Date()): string {
  const read = darkroomErrorOf(error);
  switch (read.code) {
    case 'UNREACHABLE':
      return 'Cannot reach Darkroom: the network connection was lost. It will retry when it is back.';
    case 'RATE_LIMITED': {
      const seconds = read.retryAfterSeconds;
      if (seconds === null) return 'Too many requests right now. Wait a moment and try again.';
      const at = new Date(now.getTime() + seconds * 1000).toLocaleTimeString();
      return `Too many requests right now. Try again in ${seconds} s (at ${at}).`;
    }
    case 'INSUFFICIENT_CREDITS': {
      const { balance, cost } = read.details;
      if (typeof balance === 'number' && typeof cost === 'number') {
        return `Not enough credits: this needs ${cost} credit${cost === 1 ? '' : 's'} and your balance is ${balance}. Ask an admin for more, or ask for fewer images.`;
      }
      return 'Not enough credits for this. Ask an admin for more, or ask for fewer images.';
    }
    case 'UNAUTHORIZED':
      return 'You are signed out. Sign in again to continue.';
    case 'FORBIDDEN':
      // A refusal naming a field (an invite code, the sign-up mode) says why in its own words.
      return typeof read.details.field === 'string' ? read.message : 'This needs an admin account.';
    case 'INTERNAL':
    case 'UNAVAILABLE':
      return 'Darkroom had a problem answering. Try again in a moment.';
    default:
      return read.message;
  }
}

/** The field a refusal names in its details (`{ field: 'inviteCode' }`), if any. */
export function refusedFieldOf(error: unknown): string | null {
  const { field } = darkroomErrorOf(error).details;
  return typeof field === 'string' ? field : null;
}
