/**
 * What a job may set on a self-hosted engine besides its model: LoRAs (each with a weight), sampler
 * steps, guidance (classifier-free guidance scale) and the sampler. Each is accepted only for the
 * providers in ENGINE_OPTION_PROVIDERS (the API refuses it at submit for any other, naming the field);
 * whether the engine has the LoRA or sampler is checked against its catalog.
 */
import { z } from 'zod';
// Type-only: job-request.ts imports this file's schemas, so a value import back would be circular.
import type { ProviderName } from './job-request.js';

export const MAX_LORAS = 8;
export const LORA_WEIGHT_MIN = -2;
export const LORA_WEIGHT_MAX = 2;
export const STEPS_MIN = 1;
export const STEPS_MAX = 150;
export const GUIDANCE_MIN = 0;
export const GUIDANCE_MAX = 30;
export const MAX_SAMPLER_LENGTH = 64;
export const MAX_LORA_NAME_LENGTH = 200;

/** A LoRA file or name: the characters of a model name (job-request.ts ModelName), no `..` or leading `/`. */
export const LoraName = z
  .string()
  .trim()
  .min(1, 'a LoRA name must not be empty')
  .max(MAX_LORA_NAME_LENGTH, `a LoRA name must be at most ${MAX_LORA_NAME_LENGTH} characters`)
  .regex(/^[\w.\-/ [\]()+]+$/, 'a LoRA name may hold letters, digits, spaces and . _ - / [ ] ( ) + only')
  .refine(
    (name) => !name.startsWith('/') && !name.split('/').includes('..'),
    'a LoRA name must be relative, without ..',
  );

/** A LoRA as the engine names it (a file under its loras folder for ComfyUI, a name for A1111) and its weight. */
export const LoraChoice = z.object({
  name: LoraName,
  /** How strongly it applies; 1 as trained, negative inverts it. Default 1. */
  weight: z
    .number()
    .min(LORA_WEIGHT_MIN, `a LoRA weight must be at least ${LORA_WEIGHT_MIN}`)
    .max(LORA_WEIGHT_MAX, `a LoRA weight must be at most ${LORA_WEIGHT_MAX}`)
    .default(1),
});
export type LoraChoice = z.output<typeof LoraChoice>;

export const LoraList = z.array(LoraChoice).max(MAX_LORAS, `at most ${MAX_LORAS} LoRAs`);

export const Steps = z
  .number()
  .int('steps must be a whole number')
  .min(STEPS_MIN, `steps must be at least ${STEPS_MIN}`)
  .max(STEPS_MAX, `steps must be at most ${STEPS_MAX}`);

export const Guidance = z
  .number()
  .min(GUIDANCE_MIN, `guidance must be at least ${GUIDANCE_MIN}`)
  .max(GUIDANCE_MAX, `guidance must be at most ${GUIDANCE_MAX}`);

/** As the engine lists it (`euler`, `dpmpp_2m`, `DPM++ 2M Karras`). */
export const SamplerName = z
  .string()
  .trim()
  .min(1, 'sampler must not be empty')
  .max(MAX_SAMPLER_LENGTH, `sampler must be at most ${MAX_SAMPLER_LENGTH} characters`)
  .regex(/^[\w .+\-()]+$/, 'sampler may hold letters, digits, spaces and . _ + - ( ) only');

export const ENGINE_OPTION_FIELDS = ['loras', 'steps', 'guidance', 'sampler'] as const;
export type EngineOptionField = (typeof ENGINE_OPTION_FIELDS)[number];

/** Which providers take each option: the self-hosted engines. */
export const ENGINE_OPTION_PROVIDERS: Record<EngineOptionField, readonly ProviderName[]> = {
  loras: ['comfyui', 'a1111'],
  steps: ['comfyui', 'a1111'],
  guidance: ['comfyui', 'a1111'],
  sampler: ['comfyui', 'a1111'],
};

/** The engine options of a job as stored on its row (`jobs.engine_options`) and given to the worker. */
export const EngineOptions = z.object({
  loras: LoraList.optional(),
  steps: Steps.optional(),
  guidance: Guidance.optional(),
  sampler: SamplerName.optional(),
});
export type EngineOptions = z.output<typeof EngineOptions>;

/** The options `request` sets, or null when it sets none (what the row stores). */
export function engineOptionsOf(request: Partial<EngineOptions>): EngineOptions | null {
  const options: EngineOptions = {};
  if (request.loras?.length) options.loras = request.loras;
  if (request.steps !== undefined) options.steps = request.steps;
  if (request.guidance !== undefined) options.guidance = request.guidance;
  if (request.sampler !== undefined) options.sampler = request.sampler;
  return Object.keys(options).length > 0 ? options : null;
}
