export { loadWorkerConfig, type WorkerConfig } from './env.js';
export { startWorker, type RunningWorker } from './start.js';
export { runJob, failJob, type PipelineDeps } from './pipeline.js';
export { GeneratePayload } from './tasks/generate.js';
export { promoteAgedJobs, failExpiredStarts } from './tasks/maintenance.js';
export type { RunOutcome } from './pipeline.js';
export { recoverDeadWorkers } from './heartbeat.js';
export { deleteExpired } from './tasks/retention.js';
