/**
 * OpenAI Images API wire types (`POST /v1/images/generations`), as the API reference and the openai
 * SDK's `ImageGenerateParams` / `ImagesResponse` describe them. Only the fields Darkroom sends or reads.
 */
import { z } from 'zod';

export interface OpenAIImageRequest {
  model: string;
  prompt: string;
  /** dall-e-3 takes only 1. */
  n: number;
  size: string;
  quality?: string;
  /** gpt-image models only: png (default), jpeg or webp. */
  output_format?: 'png' | 'jpeg' | 'webp';
  /** gpt-image models only. */
  background?: 'transparent' | 'opaque' | 'auto';
  /** gpt-image models only: `auto` (default filtering) or `low` (less restrictive). */
  moderation?: 'auto' | 'low';
  /** dall-e models only; gpt-image models always answer base64. */
  response_format?: 'url' | 'b64_json';
  /** gpt-image models only: answer Server-Sent Events (see stream.ts). */
  stream?: true;
  /** With `stream`: partial images sent before the completed one, 0..3. */
  partial_images?: number;
}

export const OpenAIImagesResponse = z.object({
  created: z.number(),
  data: z
    .array(
      z.object({
        b64_json: z.string().optional(),
        /** Valid for 60 minutes after generation. */
        url: z.string().url().optional(),
        revised_prompt: z.string().optional(),
      }),
    )
    .min(1),
  output_format: z.string().optional(),
});
export type OpenAIImagesResponse = z.infer<typeof OpenAIImagesResponse>;

export const OpenAIErrorBody = z.object({
  error: z.object({
    message: z.string(),
    type: z.string().nullish(),
    param: z.string().nullish(),
    code: z.string().nullish(),
  }),
});
export type OpenAIErrorBody = z.infer<typeof OpenAIErrorBody>;

/** Sizes each model family accepts, as `WxH`. */
export const OPENAI_SIZES: Record<'gpt-image' | 'dall-e-3' | 'dall-e-2', string[]> = {
  'gpt-image': ['1024x1024', '1536x1024', '1024x1536'],
  'dall-e-3': ['1024x1024', '1792x1024', '1024x1792'],
  'dall-e-2': ['256x256', '512x512', '1024x1024'],
};

/** `error.code` values that mean the safety system refused the prompt or the image. */
export const OPENAI_SAFETY_CODES = ['content_policy_violation', 'moderation_blocked'];
/** `error.code` values that mean the account has no money left. */
export const OPENAI_QUOTA_CODES = ['insufficient_quota', 'billing_hard_limit_reached'];
