/**
 * The closed set of domain errors a service may raise. The API maps each code to one transport
 * status in a single error formatter; nothing else decides how an error looks on the wire.
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
