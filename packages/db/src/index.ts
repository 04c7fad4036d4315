export { execHot, makeDb, pgPoolOf, queryHot, type Db, type DbOptions, type HotStatement, type Tx } from './client.js';
export { Prisma } from './generated/prisma/client.js';
export type {
  Job,
  Image,
  JobEvent,
  User,
  CreditEntry,
  WorkerHeartbeat,
  WebhookDelivery,
  JobInput,
} from './generated/prisma/client.js';
export * from './embedded.js';
export * from './migrate.js';
export { resolveDatabase, type ResolvedDatabase } from './resolve.js';
export * from './job-views.js';
export * from './job-changes.js';
export { queuePlaceFor, recentRunSeconds } from './quote.js';
export {
  grantCredits,
  ledgerViolations,
  reserveCredits,
  settleJobCredits,
  creditRefusal,
  domainErrorFromPostgres,
  activeJobsCapError,
  postgresErrorOf,
  ACTIVE_JOBS_RETRY_AFTER_SECONDS,
} from './credits.js';
export { isDatabaseUnavailable } from './unavailable.js';
export { enqueueJobWebhook, WEBHOOK_DELIVERY_MAX_ATTEMPTS } from './webhooks.js';
export * as lifecycle from './lifecycle/index.js';
export { SupersededError, JobEndedError } from './lifecycle/fences.js';
export type { JobInputRow, ResolvedInputs } from './lifecycle/accept.js';
export * from './positions.js';
