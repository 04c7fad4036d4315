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
  /** Answer Server-Sent Events (partial images as the images develop, then each completed image). */
  stream: z.boolean().default(false),
  /** Partial images per image to stream, 0..3 (engines that make previews; others send none). */
  partial_images: z
    .number()
    .int()
    .min(0, 'partial_images must be 0 to 3')
    .max(3, 'partial_images must be 0 to 3')
    .default(0),
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

/** One Server-Sent Event of a streamed generation or edit, named and shaped as OpenAI's. */
export type OpenAiStreamEvent =
  | {
      type: 'image_generation.partial_image' | 'image_edit.partial_image';
      b64_json: string;
      partial_image_index: number;
      created_at: number;
      size: string;
      quality: string;
      background: string;
      output_format: 'png';
    }
  | {
      type: 'image_generation.completed' | 'image_edit.completed';
      b64_json: string;
      created_at: number;
      size: string;
      quality: string;
      background: string;
      output_format: 'png';
      usage: {
        input_tokens: number;
        input_tokens_details: { image_tokens: number; text_tokens: number };
        output_tokens: number;
        total_tokens: number;
      };
    };

export interface OpenAiModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}
