/**
 * While Postgres cannot be reached (down, restarting), Darkroom answers 503 with Retry-After instead of
 * 500: nothing is wrong with the request, and it may well succeed in a moment.
 */
import { TRPCError } from '@trpc/server';

/** What a client is told to wait before retrying. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

export function databaseUnavailable(cause: unknown): TRPCError {
  return new TRPCError({
    code: 'SERVICE_UNAVAILABLE',
    message: 'the database is unavailable right now; retry shortly',
    cause,
  });
}
