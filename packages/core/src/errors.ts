/**
 * The closed set of domain errors a service may raise, and the one table (`DOMAIN_ERRORS`) that says
 * how each looks on every surface: tRPC, REST, the OpenAI-compatible routes and the CLI. Nothing else
 * decides how an error looks on the wire; a surface that needs a value reads it here.
 */
export const DOMAIN_ERROR_CODES = {
  /** The thing does not exist, or belongs to someone else (the two are not told apart). */
  NOT_FOUND: 'NOT_FOUND',
  /** The request is valid but the thing's current state does not allow it (cancel a finished job). */
  INVALID_STATE: 'INVALID_STATE',
  /** The request contradicts an earlier one (same idempotency key, different body). */
  CONFLICT: 'CONFLICT',
  /** Input passed the schema but breaks a rule the schema cannot express. */
  BAD_INPUT: 'BAD_INPUT',
  /** No caller, or the credentials are wrong, expired or revoked (never says which). */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** The caller is known but may not do this (not an admin, a cross-site request). */
  FORBIDDEN: 'FORBIDDEN',
  /** Too many requests; `details.retryAfterSeconds` says when to try again. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The balance does not cover the cost; `details` names both. */
  INSUFFICIENT_CREDITS: 'INSUFFICIENT_CREDITS',
} as const;
export type DomainErrorCode = keyof typeof DOMAIN_ERROR_CODES;

/** What `darkroom` (the CLI) exits with, so scripts can tell outcomes apart. */
export const EXIT_CODES = {
  /** Done; for `generate`, the job succeeded. */
  OK: 0,
  /** The job ended failed or canceled (or did not finish within --timeout). */
  JOB_FAILED: 1,
  /** Bad flags or arguments, or input the API refused. */
  USAGE: 2,
  /** No API key, or a wrong, revoked or expired one; or not allowed. */
  AUTH: 3,
  /** No such job or key (or not yours). */
  NOT_FOUND: 4,
  /** Rate limited or out of credits. */
  LIMITED: 5,
  /** The job is in the wrong state for this (cancel a finished job, retry a running one), or a conflict. */
  INVALID_STATE: 6,
  /** Darkroom could not be reached, or failed inside. */
  UNAVAILABLE: 7,
} as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The tRPC codes domain errors use (a subset of tRPC's own `TRPC_ERROR_CODE_KEY`; core does not import tRPC). */
export type DomainTrpcCode =
  'NOT_FOUND' | 'CONFLICT' | 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'TOO_MANY_REQUESTS' | 'PAYMENT_REQUIRED';

/** How one domain error looks on each surface. */
export interface DomainErrorSurfaces {
  /** tRPC's code; tRPC answers it with the same HTTP status as `httpStatus`. */
  trpc: DomainTrpcCode;
  /** The HTTP status over REST (and over tRPC's HTTP transport). */
  httpStatus: number;
  /** REST's `error.code` (the domain code itself). */
  restCode: DomainErrorCode;
  /**
   * The OpenAI-compatible routes' status and error `type`/`code`, the ones OpenAI's SDKs and users
   * recognise; the status differs from `httpStatus` only where OpenAI's own does (an empty balance).
   */
  openai: { httpStatus: number; type: string; code: string };
  /** What the CLI exits with. */
  exitCode: ExitCode;
  /** Whether sending the same request again, unchanged, may succeed later (after `retryAfterSeconds`). */
  retryable: boolean;
}

/**
 * The one error table. INVALID_STATE and CONFLICT are 409 everywhere (tRPC CONFLICT): HTTP's 412 is
 * about conditional request headers, which these requests do not send; `domainCode` tells them apart.
 */
export const DOMAIN_ERRORS: { readonly [Code in DomainErrorCode]: DomainErrorSurfaces & { restCode: Code } } = {
  BAD_INPUT: {
    trpc: 'BAD_REQUEST',
    httpStatus: 400,
    restCode: 'BAD_INPUT',
    openai: { httpStatus: 400, type: 'invalid_request_error', code: 'invalid_value' },
    exitCode: EXIT_CODES.USAGE,
    retryable: false,
  },
  UNAUTHORIZED: {
    trpc: 'UNAUTHORIZED',
    httpStatus: 401,
    restCode: 'UNAUTHORIZED',
    openai: { httpStatus: 401, type: 'invalid_request_error', code: 'invalid_api_key' },
    exitCode: EXIT_CODES.AUTH,
    retryable: false,
  },
  INSUFFICIENT_CREDITS: {
    trpc: 'PAYMENT_REQUIRED',
    httpStatus: 402,
    restCode: 'INSUFFICIENT_CREDITS',
    // OpenAI answers an empty balance with 429 insufficient_quota (and its SDKs are told not to retry).
    openai: { httpStatus: 429, type: 'insufficient_quota', code: 'insufficient_quota' },
    exitCode: EXIT_CODES.LIMITED,
    retryable: false,
  },
  FORBIDDEN: {
    trpc: 'FORBIDDEN',
    httpStatus: 403,
    restCode: 'FORBIDDEN',
    openai: { httpStatus: 403, type: 'invalid_request_error', code: 'forbidden' },
    exitCode: EXIT_CODES.AUTH,
    retryable: false,
  },
  NOT_FOUND: {
    trpc: 'NOT_FOUND',
    httpStatus: 404,
    restCode: 'NOT_FOUND',
    openai: { httpStatus: 404, type: 'invalid_request_error', code: 'not_found' },
    exitCode: EXIT_CODES.NOT_FOUND,
    retryable: false,
  },
  CONFLICT: {
    trpc: 'CONFLICT',
    httpStatus: 409,
    restCode: 'CONFLICT',
    openai: { httpStatus: 409, type: 'invalid_request_error', code: 'conflict' },
    exitCode: EXIT_CODES.INVALID_STATE,
    retryable: false,
  },
  INVALID_STATE: {
    trpc: 'CONFLICT',
    httpStatus: 409,
    restCode: 'INVALID_STATE',
    openai: { httpStatus: 409, type: 'invalid_request_error', code: 'invalid_state' },
    exitCode: EXIT_CODES.INVALID_STATE,
    retryable: false,
  },
  RATE_LIMITED: {
    trpc: 'TOO_MANY_REQUESTS',
    httpStatus: 429,
    restCode: 'RATE_LIMITED',
    openai: { httpStatus: 429, type: 'requests', code: 'rate_limit_exceeded' },
    exitCode: EXIT_CODES.LIMITED,
    retryable: true,
  },
};

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

export function isDomainErrorCode(value: unknown): value is DomainErrorCode {
  return typeof value === 'string' && Object.hasOwn(DOMAIN_ERROR_CODES, value);
}
