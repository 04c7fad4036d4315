// First: zod's browser config, before any schema is built (see no-eval.ts).
import './no-eval.js';
export * from './job.js';
export * from './errors.js';
export * from './backoff.js';
export * from './prompt.js';
export * from './config.js';
export * from './queue.js';
export * from './queue-status.js';
export * from './account.js';
export * from './credits.js';
export * from './webhook.js';
export * from './content-policy.js';
export * from './events.js';
export * from './retry-policy.js';
export * from './tasks.js';
export * from './quote.js';
export * from './gallery.js';
export * from './collections.js';
