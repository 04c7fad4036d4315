/**
 * OpenAI's Images API wire format (POST /v1/images/generations, GET /v1/models), as far as Darkroom
 * speaks it. Fields Darkroom has no use for are accepted and ignored, so SDKs that send them work.
 */
import { MAX_IMAGES_PER_JOB, MAX_PROMPT_LENGTH, PROVIDER_NAMES } from '@darkroom/core';
import { z } from 'zod';

export const OpenAiImageRequest = z.object({
  prompt: z.string().trim().min(1, 'prompt must not be empty').max(MAX_PROMPT_LENGTH),
  /** A Darkroom provider, or `provider/model` (see GET /v1/models). Default `local`. */
  model: z
    .string()
    .trim()
    .max(300)
    .refine((id) => (PROVIDER_NAMES as readonly string[]).includes(id.split('/')[0]!), {
      message: `model must be one of ${PROVIDER_NAMES.join(', ')}, or provider/model (see GET /v1/models)`,
    })
    .default('local'),
  n: z.number().int().min(1).max(MAX_IMAGES_PER_JOB).default(1),
  /** `auto` or `WIDTHxHEIGHT`; Darkroom picks its nearest aspect ratio. */
  size: z
    .string()
    .regex(/^(auto|\d{2,5}x\d{2,5})$/, 'size must be "auto" or WIDTHxHEIGHT, e.g. 1024x1024')
    .default('auto'),
  quality: z.enum(['auto', 'standard', 'hd', 'low', 'medium', 'high']).default('auto'),
  response_format: z.enum(['url', 'b64_json']).default('url'),
  /** Darkroom's providers produce PNG. */
  output_format: z
    .enum(['png'], { message: 'output_format must be png (the only format Darkroom produces)' })
    .default('png'),
  style: z.enum(['vivid', 'natural']).optional(),
  background: z.enum(['auto', 'opaque', 'transparent']).optional(),
  /** OpenAI's filtering: `auto` runs the job at Darkroom's `standard` moderation, `low` at `relaxed` (never below MODERATION_MIN). */
  moderation: z.enum(['auto', 'low']).optional(),
  /** The end user, kept in the job's metadata. */
  user: z.string().max(256).optional(),
});
export type OpenAiImageRequest = z.infer<typeof OpenAiImageRequest>;

export type OpenAiImage = { url: string; revised_prompt?: string } | { b64_json: string; revised_prompt?: string };

export interface OpenAiImagesResponse {
  created: number;
  data: OpenAiImage[];
  output_format: 'png';
  quality: string;
  size: string;
}

/** OpenAI's error object; `type` and `code` use OpenAI's vocabulary so SDKs classify them the same. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface OpenAiModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}
