export * from './job.js';
export * from './errors.js';
export * from './backoff.js';
export * from './prompt.js';
export * from './config.js';
export * from './queue.js';
export * from './account.js';
export * from './credits.js';
