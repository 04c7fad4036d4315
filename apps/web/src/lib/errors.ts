/**
 * Errors in words a person can act on, and bad-input errors mapped back onto form fields.
 */
import type { JobError } from '@darkroom/core';

interface ZodIssueShape {
  path: readonly PropertyKey[];
  message: string;
}

/** `{ fieldName: message }` from zod issues (client-side) or the API's `error.data.zodIssues`. */
export function fieldErrors(issues: readonly ZodIssueShape[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of issues ?? []) {
    const field = String(issue.path[0] ?? 'form');
    out[field] ??= issue.message;
  }
  return out;
}

/** The zod issues carried by a tRPC error, if any. */
export function zodIssuesOf(error: unknown): ZodIssueShape[] | null {
  const data = (error as { data?: { zodIssues?: ZodIssueShape[] | null } } | null)?.data;
  return data?.zodIssues ?? null;
}

const JOB_ERROR_WORDS: Partial<Record<JobError['code'], string>> = {
  rate_limited: 'The image provider is rate limiting Darkroom. Darkroom retried; try again in a minute.',
  transient: 'The image provider is down or had a temporary problem. Retrying usually works.',
  timeout: 'The image provider took too long to answer (timeout). Retrying usually works.',
  content_filtered: 'The provider refused this prompt on safety grounds (content filter). Try rewording it.',
  invalid_request: 'The provider could not handle this request (size or options).',
  auth: 'Darkroom could not sign in to the image provider. An operator needs to check its API key.',
  quota_exhausted: 'The image provider account has run out of quota.',
  canceled: 'Canceled.',
  invalid_payload: 'This job was queued in a form this version of Darkroom cannot read.',
  start_deadline_exceeded: 'The job waited too long in the queue and was not started.',
  run_timeout: 'The job ran longer than its time limit.',
  internal: 'Something went wrong inside Darkroom.',
};

/** A failed job's error as a sentence, with the provider's own message for detail. */
export function describeJobError(error: JobError): string {
  return JOB_ERROR_WORDS[error.code] ?? error.message;
}

interface ErrorData {
  code?: string;
  httpStatus?: number;
  domainCode?: string | null;
  details?: Record<string, unknown> | null;
}

function dataOf(error: unknown): ErrorData | null {
  return (error as { data?: ErrorData | null } | null)?.data ?? null;
}

/** The request never reached Darkroom (no connection, server gone), as opposed to an answer saying no. */
export function isNetworkError(error: unknown): boolean {
  if (dataOf(error)) return false;
  const message = (error as Error | null)?.message ?? String(error);
  return /fetch|network|load failed|ERR_INTERNET_DISCONNECTED|Unable to transform response/i.test(message);
}

/** Seconds until a rate-limited caller may try again (the API's `details.retryAfterSeconds`, as Retry-After). */
export function retryAfterSecondsOf(error: unknown): number | null {
  const seconds = dataOf(error)?.details?.retryAfterSeconds;
  return typeof seconds === 'number' ? seconds : null;
}

/** A request that failed before reaching a job: rate limits, credits, sign-in, network, server errors. */
export function describeRequestError(error: unknown, now: Date = new Date()): string {
  if (isNetworkError(error)) return 'Cannot reach Darkroom: the network connection was lost. It will retry when it is back.';
  const data = dataOf(error);
  const message = (error as Error | null)?.message ?? String(error);
  if (data?.domainCode === 'RATE_LIMITED' || data?.code === 'TOO_MANY_REQUESTS') {
    const seconds = retryAfterSecondsOf(error);
    if (seconds === null) return 'Too many requests right now. Wait a moment and try again.';
    const at = new Date(now.getTime() + seconds * 1000).toLocaleTimeString();
    return `Too many requests right now. Try again in ${seconds} s (at ${at}).`;
  }
  if (data?.domainCode === 'INSUFFICIENT_CREDITS' || data?.code === 'PAYMENT_REQUIRED') {
    const balance = data.details?.balance;
    const cost = data.details?.cost;
    if (typeof balance === 'number' && typeof cost === 'number') {
      return `Not enough credits: this needs ${cost} credit${cost === 1 ? '' : 's'} and your balance is ${balance}. Ask an admin for more, or ask for fewer images.`;
    }
    return 'Not enough credits for this. Ask an admin for more, or ask for fewer images.';
  }
  if (data?.code === 'UNAUTHORIZED') return 'You are signed out. Sign in again to continue.';
  if (data?.code === 'FORBIDDEN') return 'This needs an admin account.';
  if (data?.code === 'INTERNAL_SERVER_ERROR' || (data?.httpStatus ?? 0) >= 500) return 'Darkroom had a problem answering. Try again in a moment.';
  return message;
}
