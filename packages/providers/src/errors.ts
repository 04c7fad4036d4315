/**
 * One error taxonomy for every provider, whatever the vendor says. The worker decides what to do from
 * the code alone.
 */
export const PROVIDER_ERROR_CODES = {
  /** Too many requests; retry after `retryAfterMs` when the vendor said, else with backoff. */
  rate_limited: true,
  /** The vendor had a problem (5xx, connection reset); retry with backoff. */
  transient: true,
  /** No answer in time; retry with backoff. */
  timeout: true,
  /** The vendor refused the prompt or the image on safety grounds; retrying cannot help. */
  content_filtered: false,
  /** The request was wrong for this vendor (size, model); retrying cannot help. */
  invalid_request: false,
  /** The API key was refused; an operator must act. */
  auth: false,
  /** The account has no quota or credit left with the vendor. */
  quota_exhausted: false,
  /** We aborted the request (the job was canceled). */
  canceled: false,
} as const;
export type ProviderErrorCode = keyof typeof PROVIDER_ERROR_CODES;

export interface ProviderErrorOptions {
  /**
   * The vendor's request is over (it failed, was canceled, or the vendor forgot it), so another attempt
   * must submit a new one instead of resuming it. Default false: a failure while waiting (a 5xx on a
   * status poll) leaves the request alive at the vendor, and resuming it costs nothing.
   */
  requestEnded?: boolean;
}

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  /** Whether another attempt could succeed. */
  readonly retryable: boolean;
  /** See ProviderErrorOptions.requestEnded. */
  readonly requestEnded: boolean;
  constructor(
    readonly code: ProviderErrorCode,
    message: string,
    readonly retryAfterMs?: number,
    options: ProviderErrorOptions = {},
  ) {
    super(message);
    this.retryable = PROVIDER_ERROR_CODES[code];
    this.requestEnded = options.requestEnded ?? false;
  }
}

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}
