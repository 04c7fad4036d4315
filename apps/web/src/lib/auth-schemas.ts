/**
 * The sign-up and log-in schemas, in a chunk of their own: zod (89 kB) stays off the landing page's
 * start-up and comes when someone first touches the form (`loadAuthSchemas`). zod's CSP guard runs
 * first, before core builds any schema, even if this chunk is ever loaded ahead of the entry's copy.
 */
import '@darkroom/core/no-eval';

export { LogInInput, SignUpInput } from '@darkroom/core';
