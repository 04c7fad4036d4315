/**
 * The two ways a run learns the job is no longer its own. Both stop the run without writing more.
 */

/**
 * Another run claimed the job since (its `attempts` moved on), which only happens once this worker was
 * declared dead after a silence. The worker must stop as a whole: it is out of date about every job.
 */
export class SupersededError extends Error {
  constructor(jobId: string, attempt: number) {
    super(
      `job ${jobId}: another worker claimed it after this run's attempt ${attempt} (this worker was declared dead); stopping without writing`,
    );
    this.name = 'SupersededError';
  }
}

/**
 * The job ended while this run still held it (the sweep ended it past its run deadline). Only this run
 * stops; the worker goes on with its other jobs.
 */
export class JobEndedError extends Error {
  constructor(jobId: string, status: string) {
    super(`job ${jobId} ended (${status}) while this run held it; stopping without writing`);
    this.name = 'JobEndedError';
  }
}
