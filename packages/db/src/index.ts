export { makeDb, type Db, type DbOptions, type Tx } from './client.js';
export { Prisma } from './generated/prisma/client.js';
export type { Job, Image, JobEvent, User, CreditEntry, WorkerHeartbeat } from './generated/prisma/client.js';
export * from './embedded.js';
export * from './migrate.js';
export { resolveDatabase, type ResolvedDatabase } from './resolve.js';
export * from './job-views.js';
export * from './job-changes.js';
export { grantCredits, reserveCredits, settleJobCredits } from './credits.js';
