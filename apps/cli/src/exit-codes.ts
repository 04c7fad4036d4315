/**
 * What `darkroom` exits with, so scripts can tell outcomes apart. Documented in the README and `--help`;
 * the code for each domain error comes from core's error table (`DOMAIN_ERRORS`).
 */
import { darkroomErrorOf } from '@darkroom/client';
import { EXIT_CODES } from '@darkroom/core';

export const EXIT = EXIT_CODES;

/** A mistake in how the command was called. */
export class UsageError extends Error {}

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.USAGE;
  return darkroomErrorOf(error).exitCode;
}
