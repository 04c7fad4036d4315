/**
 * Stability AI v2beta wire types: `POST /v2beta/stable-image/generate/{ultra,core,sd3}` takes
 * multipart/form-data and answers the image itself (`Accept: image/*`, with `finish-reason` and
 * `seed` headers) or JSON (`Accept: application/json`). Asynchronous endpoints answer `{id}` instead,
 * and `GET /v2beta/results/{id}` then answers 202 while in progress, 200 with the result, 404 once the
 * result is unknown or expired (results are kept 24 hours).
 */
import { z } from 'zod';

export const STABILITY_ENDPOINTS = ['ultra', 'core', 'sd3'] as const;
export type StabilityEndpoint = (typeof STABILITY_ENDPOINTS)[number];

export const STABILITY_ASPECT_RATIOS = ['21:9', '16:9', '3:2', '5:4', '1:1', '4:5', '2:3', '9:16', '9:21'];

export const StabilityJsonResult = z.object({
  /** Base64 of the image. */
  image: z.string().min(1),
  finish_reason: z.enum(['SUCCESS', 'CONTENT_FILTERED', 'ERROR']),
  seed: z.number().optional(),
});

/** What an asynchronous endpoint answers: the generation's id (64 characters). */
export const StabilityAsyncStarted = z.object({ id: z.string().min(1) });

export const StabilityInProgress = z.object({ id: z.string().optional(), status: z.literal('in-progress') });

export const StabilityErrorBody = z.object({
  id: z.string().optional(),
  /** e.g. bad_request, content_moderation, payment_required, rate_limit_exceeded */
  name: z.string().optional(),
  errors: z.array(z.string()).optional(),
});
