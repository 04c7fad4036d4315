/**
 * The sign-up and log-in schemas' chunk, loaded once: the form asks for it when it is first focused or
 * typed in, and awaits it at submit. A failed load (offline) is forgotten, so the next try loads again.
 */
import type * as AuthSchemas from './lib/auth-schemas.js';

let schemas: Promise<typeof AuthSchemas> | null = null;
export const loadAuthSchemas = () =>
  (schemas ??= import('./lib/auth-schemas.js').catch((error: unknown) => {
    schemas = null;
    throw error;
  }));
