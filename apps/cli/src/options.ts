/**
 * How the CLI reads a flag's value: each parser runs while the arguments are parsed, before anything is
 * sent, and refuses a bad value with a UsageError naming the flag and what it takes.
 */
import { UsageError } from './exit-codes.js';

/** A whole number, at least 0. */
export const integer =
  (flag: string) =>
  (value: string): number => {
    const number = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(number))
      throw new UsageError(`${flag} must be a whole number (got ${value})`);
    return number;
  };

/** One of a closed set. */
export const oneOf =
  <T extends string>(flag: string, allowed: readonly T[]) =>
  (value: string): T => {
    if (!allowed.includes(value as T))
      throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (got ${value})`);
    return value as T;
  };

/** A 0..1 number; the server checks the range too and names the field. */
export const fraction =
  (flag: string) =>
  (value: string): number => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number))
      throw new UsageError(`${flag} must be a number from 0 to 1 (got ${value})`);
    return number;
  };

/** A flag that may be given more than once: every value, in order. */
export const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];
