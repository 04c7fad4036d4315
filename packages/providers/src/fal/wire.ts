/**
 * fal queue API wire types, as fal's Inference API reference and @fal-ai/client's queue client describe
 * them: submit `POST queue.fal.run/<model id>`, then status, result and cancel under
 * `<owner>/<app>/requests/<request_id>` (the endpoint path after owner/app is not part of those URLs).
 */
import { z } from 'zod';

export const FalSubmitResponse = z.object({
  request_id: z.string().min(1),
  status: z.string().optional(),
  queue_position: z.number().optional(),
  status_url: z.string().optional(),
  response_url: z.string().optional(),
  cancel_url: z.string().optional(),
});

export const FalStatus = z.object({
  status: z.enum(['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED']),
  queue_position: z.number().int().nonnegative().optional(),
  /** Present on COMPLETED when the request failed. */
  error: z.string().nullish(),
  error_type: z.string().nullish(),
});
export type FalStatus = z.infer<typeof FalStatus>;

/** The result of the image models Darkroom runs (flux and friends). */
export const FalImageResult = z.object({
  images: z
    .array(
      z.object({
        url: z.string(),
        width: z.number().optional(),
        height: z.number().optional(),
        content_type: z.string().optional(),
      }),
    )
    .min(1),
  seed: z.number().optional(),
  /** One flag per image from fal's safety checker; a flagged image is blacked out. */
  has_nsfw_concepts: z.array(z.boolean()).optional(),
});

/**
 * Two error shapes: request errors `{detail: string, error_type}` (also in the X-Fal-Error-Type
 * header), and model errors `{detail: [{loc, msg, type, ...}]}`.
 */
export const FalError = z.object({
  detail: z
    .union([z.string(), z.array(z.object({ msg: z.string().optional(), type: z.string().optional() }).passthrough())])
    .optional(),
  error_type: z.string().optional(),
});
export type FalError = z.infer<typeof FalError>;

/** Request error types that a new try may get past. */
export const FAL_TIMEOUT_TYPES = ['request_timeout', 'startup_timeout'];
export const FAL_TRANSIENT_TYPES = [
  'runner_scheduling_failure',
  'runner_connection_timeout',
  'runner_disconnected',
  'runner_connection_refused',
  'runner_connection_error',
  'runner_incomplete_response',
  'runner_server_error',
  'internal_error',
];
/** Model error types meaning the safety system refused the input or the output. */
export const FAL_SAFETY_TYPES = ['content_policy_violation'];

/** `POST rest.fal.ai/storage/upload/initiate`: where to PUT the bytes, and the URL a model input takes. */
export const FalUploadInitiated = z.object({ upload_url: z.string().min(1), file_url: z.string().min(1) });

/** The aspect ratios fal's Kontext endpoints take (their `aspect_ratio` enum). */
export const FAL_ASPECT_RATIOS = ['21:9', '16:9', '4:3', '3:2', '1:1', '2:3', '3:4', '9:16', '9:21'];
