/**
 * The job lifecycle: every change of a job's status goes through this module, one file per transition.
 *
 *                 accept                     claim
 *   (request) ───────────► queued ──────────────────────► running
 *                            ▲  │ ▲                         │ │ │
 *                    retry   │  │ └──────── release ────────┘ │ │
 *                            │  │                             │ │
 *                            │  └──── end (cancel, fail) ─┐   │ │ end (settle: from the images;
 *                            │                            ▼   ▼ ▼  fail; sweep: abandoned)
 *                            └───────────────────── succeeded | failed | canceled ──► expire (deleted)
 *
 *   accept   accept.ts, darkroom_accept_job: the row, its images, `created`, the queue entry, credits held.
 *   claim    claim.ts, darkroom_claim_job: queued (or running, after a crash) -> running; attempts + 1.
 *   release  release.ts: running -> queued, stored images kept, run deadline cleared.
 *   end      end.ts, darkroom_end_job: the ONE writer of succeeded, failed and canceled, one statement.
 *   cancel   cancel.ts: queued -> end(canceled); running -> cancel requested (its worker ends it).
 *   promote  promote.ts: low-priority queued jobs move up a band after waiting.
 *   sweep    sweep.ts: start deadlines passed, abandoned jobs -> end(failed).
 *   expire   expire.ts: retention deletes ended jobs (rows under lock first, files after).
 *   retry    retry.ts: ended -> queued for the images it lacks, credits held again.
 *
 * Invariants (the ones tests hold us to):
 * - A terminal job never changes status again; `finished_at` is set exactly when it is terminal.
 * - Every end writes one `finished` event (core's `JobEventData.finished`), settles the credits in the
 *   same transaction (held credits are 0 afterwards) and queues the `job.finished` webhook there too.
 * - `attempts` is the claim: every claim raises it, and a run writes an outcome (an image stored, an end,
 *   a release) only while it still equals its own (`SupersededError` otherwise). A run that finds its
 *   job ended under it (`JobEndedError`) stops quietly.
 * - An image is stored only on a running job of the storing run's claim (the store statement locks
 *   the job row), so no image lands on a job already ended and settled.
 */
export {
  acceptJob,
  hashJobRequest,
  priceOf,
  SUBMITS_REFUSED,
  type AcceptOptions,
  type SubmitCount,
  type Accepted,
  type JobInputRow,
  type ResolvedInputs,
} from './accept.js';
export { endJob, endJobIn, type Ended, type Ending, type EndOptions } from './end.js';
export { claimJob, type ClaimDecision } from './claim.js';
export { releaseJob, type Released } from './release.js';
export { cancelJob, type CancelOutcome } from './cancel.js';
export { promoteAgedJobs } from './promote.js';
export { failExpiredStarts, endAbandonedJobs, type AbandonedOptions } from './sweep.js';
export { expireJobs } from './expire.js';
export { retryJob, type RetryOptions } from './retry.js';
export { SupersededError, JobEndedError } from './fences.js';
