/**
 * Replicate HTTP API wire types (predictions), as its HTTP reference and the replicate npm client's
 * `Prediction` type describe them. Only the fields Darkroom sends or reads.
 */
import { z } from 'zod';

/** `aborted`: terminated before it started (e.g. a deadline passed); like canceled, never billed. */
export const REPLICATE_STATUSES = ['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted'] as const;
export const REPLICATE_TERMINAL: readonly ReplicateStatus[] = ['succeeded', 'failed', 'canceled', 'aborted'];
export type ReplicateStatus = (typeof REPLICATE_STATUSES)[number];

export const ReplicatePrediction = z.object({
  id: z.string().min(1),
  status: z.enum(REPLICATE_STATUSES),
  /** A URL, a list of URLs, or (sync mode) data URIs; the model decides. Deleted an hour after completion. */
  output: z.union([z.string(), z.array(z.string()), z.null()]).optional(),
  error: z.string().nullish(),
  /** The outputs and inputs were removed (after the retention window). */
  data_removed: z.boolean().optional(),
  urls: z.object({ get: z.string().optional(), cancel: z.string().optional() }).partial().optional(),
});
export type ReplicatePrediction = z.infer<typeof ReplicatePrediction>;

/** Errors are RFC 7807 problem details; 429 adds `retry_after` in seconds. */
export const ReplicateProblem = z.object({
  title: z.string().optional(),
  detail: z.string().optional(),
  status: z.number().optional(),
  retry_after: z.number().optional(),
});
export type ReplicateProblem = z.infer<typeof ReplicateProblem>;

/** Body of a create: `version` only for `POST /v1/predictions`. */
export interface ReplicateCreateBody {
  version?: string;
  input: Record<string, unknown>;
}

/** `POST /v1/files` answers the file; a model input takes its `urls.get`. */
export const ReplicateFileObject = z.object({
  id: z.string(),
  content_type: z.string().optional(),
  size: z.number().optional(),
  urls: z.object({ get: z.string().min(1) }),
  expires_at: z.string().nullish(),
});
