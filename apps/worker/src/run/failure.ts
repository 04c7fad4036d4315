/**
 * What an image's failure means: its code, the owner-facing message, and whether it may pass.
 */
import type { ErrorCode } from '@darkroom/core';
import { isProviderError } from '@darkroom/providers';

export interface Failure {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
}

/** What the owner reads when an image failed inside Darkroom rather than at the provider. */
export const INTERNAL_IMAGE_FAILURE = 'something went wrong inside Darkroom while storing or preparing this image';

export function describeFailure(error: unknown, signal: AbortSignal): Failure {
  if (signal.aborted) return { code: 'canceled', message: 'canceled', retryable: false };
  if (isProviderError(error)) {
    return {
      code: error.code,
      message: error.message,
      retryable: error.retryable,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    };
  }
  // Not the provider's answer (storage full, a bug): fail the image plainly rather than loop. Its text
  // (paths, SQL, hosts) is for the log, not for the job's owner: the caller logs it.
  return { code: 'internal', message: INTERNAL_IMAGE_FAILURE, retryable: false };
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
