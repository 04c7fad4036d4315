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
  rate_limited: 'The image provider is busy right now. Darkroom retried; try again in a minute.',
  transient: 'The image provider had a temporary problem. Retrying usually works.',
  timeout: 'The image provider took too long to answer.',
  content_filtered: 'The provider refused this prompt on safety grounds. Try rewording it.',
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

/** A request that failed before reaching a job (network down, server error). */
export function describeRequestError(error: unknown): string {
  const message = (error as Error | null)?.message ?? String(error);
  if (/fetch|network|Failed to fetch|NetworkError/i.test(message)) return 'Cannot reach Darkroom. Check your connection; it will retry.';
  return message;
}
