/**
 * The shapes only REST (`/api/v1`) uses: its list query, its 202 answer and its error body.
 */
import { z } from 'zod';
import { JobStatus } from './job-request.js';
import { JobListInput, type JobView } from './job-view.js';

/** `GET /api/v1/jobs` query: `JobListInput` with the limit read from a query string. */
export const JobListQuery = JobListInput.extend({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});

/** What a REST submit (`POST /api/v1/generations`) or retry answers with 202: enough to follow the job. */
export const JobAccepted = z.object({
  jobId: z.string(),
  status: JobStatus,
  /** Jobs ahead of this one (0 = next); null once it has started. */
  queuePosition: z.number().int().nullable(),
  /** Seconds until it is expected to start; null when unknown. */
  estimatedWaitSeconds: z.number().nullable(),
});
export type JobAccepted = z.infer<typeof JobAccepted>;

export function jobAcceptedFrom(view: JobView): JobAccepted {
  return {
    jobId: view.id,
    status: view.status,
    queuePosition: view.queuePosition,
    estimatedWaitSeconds: view.estimatedWaitSeconds,
  };
}

/** Every REST error: a code from the closed set (or BAD_INPUT for schema failures), a message, details. */
export const ApiError = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** Schema failures: `{ issues: [{ path, message, code, minimum?, maximum?, ... }] }`; others: the domain error's details. */
    details: z.record(z.string(), z.unknown()).nullable(),
  }),
});
