/**
 * One way to read any error a Darkroom call throws: `darkroomErrorOf(error)` gives its code (a domain
 * code from core's error table, or what happened outside it), message, details, field issues, whether
 * trying again may help and the CLI's exit code. The web app and the CLI read errors only through it.
 */
import type { AppRouter } from '@darkroom/api';
import { DOMAIN_ERRORS, EXIT_CODES, isDomainError, type DomainErrorCode, type ExitCode } from '@darkroom/core';
import { isTRPCClientError } from '@trpc/client';

/**
 * A domain code, or:
 * - `INTERNAL`: Darkroom answered that something went wrong inside it;
 * - `UNAVAILABLE`: Darkroom answered that it cannot serve right now (its database is down);
 * - `UNREACHABLE`: no answer from Darkroom (no connection, or something else answered).
 */
export type DarkroomErrorCode = DomainErrorCode | 'INTERNAL' | 'UNAVAILABLE' | 'UNREACHABLE';

/** One field's problem in a refused input, as zod reported it on the server. */
export interface FieldIssue {
  path: readonly PropertyKey[];
  message: string;
}

export interface DarkroomError {
  code: DarkroomErrorCode;
  message: string;
  /** The domain error's details (`{ balance, cost }`, `{ retryAfterSeconds }`, `{ field }`, ...); `{}` when none. */
  details: Readonly<Record<string, unknown>>;
  /** Every field the server refused (bad input only; empty otherwise). */
  issues: readonly FieldIssue[];
  /** The HTTP status Darkroom answered with; null when it did not answer. */
  httpStatus: number | null;
  /** Seconds to wait before trying again, when Darkroom said. */
  retryAfterSeconds: number | null;
  /** Whether the same call, unchanged, may succeed later. */
  retryable: boolean;
  /** What the CLI exits with for it. */
  exitCode: ExitCode;
}

/** How a tRPC error without a domain code (a procedure that does not exist, a failure) reads. */
const OTHER_TRPC_CODES: Partial<Record<string, DarkroomErrorCode>> = {
  PARSE_ERROR: 'BAD_INPUT',
  BAD_REQUEST: 'BAD_INPUT',
  PAYLOAD_TOO_LARGE: 'BAD_INPUT',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  TOO_MANY_REQUESTS: 'RATE_LIMITED',
  SERVICE_UNAVAILABLE: 'UNAVAILABLE',
};

/** Reads any error thrown by the Darkroom client (or by code using it). */
export function darkroomErrorOf(error: unknown): DarkroomError {
  if (isDomainError(error))
    return make(error.code, error.message, error.details ?? {}, [], DOMAIN_ERRORS[error.code].httpStatus);
  if (isTRPCClientError<AppRouter>(error) && error.data) {
    const { data } = error;
    const code = data.domainCode ?? OTHER_TRPC_CODES[data.code] ?? 'INTERNAL';
    return make(code, error.message, data.details ?? {}, data.zodIssues ?? [], data.httpStatus);
  }
  const message = error instanceof Error ? error.message : String(error);
  // Node's fetch says only "fetch failed"; the reason is in its cause.
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : null;
  if (message === 'fetch failed' || cause?.message === 'fetch failed') {
    const reason = cause?.cause instanceof Error ? cause.cause.message : (cause?.message ?? message);
    return make('UNREACHABLE', `cannot reach Darkroom: ${reason}`, {}, [], null);
  }
  return make('UNREACHABLE', message, {}, [], null);
}

function make(
  code: DarkroomErrorCode,
  message: string,
  details: Record<string, unknown>,
  issues: readonly FieldIssue[],
  httpStatus: number | null,
): DarkroomError {
  const seconds = details.retryAfterSeconds;
  const row = code === 'INTERNAL' || code === 'UNAVAILABLE' || code === 'UNREACHABLE' ? null : DOMAIN_ERRORS[code];
  return {
    code,
    message,
    details,
    issues,
    httpStatus,
    retryAfterSeconds: typeof seconds === 'number' ? seconds : null,
    // Outside the table: a lost connection or a database restart pass; an internal failure may not.
    retryable: row ? row.retryable : code !== 'INTERNAL',
    exitCode: row ? row.exitCode : EXIT_CODES.UNAVAILABLE,
  };
}
