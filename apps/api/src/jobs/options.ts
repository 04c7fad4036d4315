/** What every jobs service takes, and the one rule of who sees which job. */
import type { Db } from '@darkroom/db';
import type { AuthUser } from '../context.js';
import type { AccountSettings } from '../env.js';
import type { RateLimits } from '../rate-limits.js';

export interface ServiceOptions {
  db: Db;
  user: AuthUser;
}

/** What a submit needs beyond the caller: prices and the user's limits. */
export interface SubmitOptions extends ServiceOptions {
  settings: AccountSettings;
  limits: RateLimits;
}

/** The jobs a caller may read and cancel: their own, or any for an admin. */
export function visibleTo(user: AuthUser): { userId?: string } {
  return user.role === 'admin' ? {} : { userId: user.id };
}
