/**
 * What `darkroom` exits with, so scripts can tell outcomes apart. Documented in the README and `--help`.
 */
export const EXIT = {
  /** Done; for `generate`, the job succeeded. */
  OK: 0,
  /** The job ended failed or canceled (or did not finish within --timeout). */
  JOB_FAILED: 1,
  /** Bad flags or arguments, or input the API refused (BAD_REQUEST). */
  USAGE: 2,
  /** No API key, or a wrong, revoked or expired one; or not allowed (FORBIDDEN). */
  AUTH: 3,
  /** No such job or key (or not yours). */
  NOT_FOUND: 4,
  /** Rate limited (TOO_MANY_REQUESTS) or out of credits (PAYMENT_REQUIRED). */
  LIMITED: 5,
  /** The job is in the wrong state for this (cancel a finished job, retry a running one), or an idempotency conflict. */
  INVALID_STATE: 6,
  /** Darkroom could not be reached, or failed inside. */
  UNAVAILABLE: 7,
} as const;

/** A mistake in how the command was called. */
export class UsageError extends Error {}

/** The exit code for an error thrown by a command (tRPC client errors carry the server's code). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.USAGE;
  const code = (error as { data?: { code?: string } } | null)?.data?.code;
  switch (code) {
    case 'BAD_REQUEST':
      return EXIT.USAGE;
    case 'UNAUTHORIZED':
    case 'FORBIDDEN':
      return EXIT.AUTH;
    case 'NOT_FOUND':
      return EXIT.NOT_FOUND;
    case 'TOO_MANY_REQUESTS':
    case 'PAYMENT_REQUIRED':
      return EXIT.LIMITED;
    case 'PRECONDITION_FAILED':
    case 'CONFLICT':
      return EXIT.INVALID_STATE;
    default:
      return EXIT.UNAVAILABLE;
  }
}
