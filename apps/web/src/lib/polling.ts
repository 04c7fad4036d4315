/**
 * How often a job card asks for its job while no live stream is available: core's backoff (1 s growing
 * x1.2 to 5 s), restarted whenever the job moves, and stopped once the job has ended.
 */
import { isTerminalStatus, pollDelay, type BackoffOptions, type JobStatus } from '@darkroom/core';

export interface PollSchedule {
  /** The delay before the next read after seeing `job`, or false to stop polling. */
  next(job: { status: JobStatus; progress: number; stage: string | null } | undefined): number | false;
}

export function makePollSchedule(options?: BackoffOptions): PollSchedule {
  let polls = 0;
  let lastSeen: string | undefined;
  return {
    next(job) {
      if (!job) return pollDelay(0, options);
      if (isTerminalStatus(job.status)) return false;
      const fingerprint = `${job.status}|${job.stage}|${job.progress}`;
      if (fingerprint !== lastSeen) {
        // The job moved: follow it closely again.
        lastSeen = fingerprint;
        polls = 0;
      }
      return pollDelay(polls++, options);
    },
  };
}
