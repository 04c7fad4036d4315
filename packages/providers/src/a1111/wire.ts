/**
 * AUTOMATIC1111 / Forge / SD.Next web UI API wire types (`modules/api/api.py`, `models.py`): only the
 * fields Darkroom sends or reads. Every body field of txt2img is optional on the server; unknown
 * checkpoints in `override_settings` are silently dropped there, so the adapter checks the name first.
 */
import { z } from 'zod';

/** `POST /sdapi/v1/txt2img` body (StableDiffusionTxt2ImgProcessingAPI). */
export interface A1111Txt2ImgRequest {
  prompt: string;
  negative_prompt: string;
  /** -1 = random; Darkroom always sends its own. */
  seed: number;
  steps: number;
  cfg_scale: number;
  sampler_name: string;
  width: number;
  height: number;
  batch_size: 1;
  n_iter: 1;
  send_images: true;
  save_images: false;
  /** `{sd_model_checkpoint: title|name|hash}` when the job chose a model. */
  override_settings?: { sd_model_checkpoint: string };
  override_settings_restore_afterwards?: boolean;
}

/** What `POST /sdapi/v1/img2img` adds to the txt2img fields (StableDiffusionImg2ImgProcessingAPI). */
export interface A1111Img2ImgFields {
  /** Base64, `data:` prefix allowed; required (null answers 404 "Init image not found"). */
  init_images: string[];
  /** 0 "Just resize" to width x height. */
  resize_mode: 0;
  denoising_strength: number;
  include_init_images: false;
  /** Base64; opaque: white = repaint (with inpainting_mask_invert 0). */
  mask?: string;
  inpainting_mask_invert?: 0;
  /** 0 fill, 1 original, 2 latent noise, 3 latent nothing. */
  inpainting_fill?: 0 | 1 | 2 | 3;
  /** true "Only masked" (a crop around the mask), false "Whole picture". */
  inpaint_full_res?: boolean;
  mask_blur?: number;
}

/** TextToImageResponse: `info` is a JSON string (Processed.js()), parsed again with A1111Info. */
export const A1111ImagesResponse = z.object({
  images: z.array(z.string()).min(1),
  parameters: z.record(z.string(), z.unknown()).optional(),
  info: z.string(),
});

export const A1111Info = z.object({
  seed: z.number().int(),
  all_seeds: z.array(z.number().int()).optional(),
  sd_model_name: z.string().nullish(),
  index_of_first_image: z.number().int().optional(),
});

/** `GET /sdapi/v1/progress`; `state.sampling_step` of `state.sampling_steps` while a job runs. */
export const A1111Progress = z.object({
  progress: z.number(),
  eta_relative: z.number().optional(),
  state: z.object({
    job_count: z.number().int(),
    sampling_step: z.number().int(),
    sampling_steps: z.number().int(),
    interrupted: z.boolean().optional(),
  }),
  current_image: z.string().nullish(),
  textinfo: z.string().nullish(),
});

/** `POST /internal/progress` (ProgressResponse); `live_preview` is a `data:image/...;base64,` URL. */
export const A1111InternalProgress = z.object({
  active: z.boolean(),
  queued: z.boolean(),
  completed: z.boolean().optional(),
  progress: z.number().nullish(),
  live_preview: z.string().nullish(),
  id_live_preview: z.number().int().nullish(),
  textinfo: z.string().nullish(),
});

/** `GET /sdapi/v1/sd-models` items. Any of title, model_name, hash is accepted as sd_model_checkpoint. */
export const A1111Models = z.array(
  z.object({ title: z.string(), model_name: z.string(), hash: z.string().nullish(), filename: z.string().optional() }),
);
export type A1111Models = z.infer<typeof A1111Models>;

/** `GET /sdapi/v1/loras` items (Lora extension): a prompt tag `<lora:NAME:weight>` takes `name` or `alias`. */
export const A1111Loras = z.array(
  z.object({ name: z.string(), alias: z.string().nullish(), path: z.string().optional() }).loose(),
);
export type A1111Loras = z.infer<typeof A1111Loras>;

/** `GET /sdapi/v1/samplers` items. */
export const A1111Samplers = z.array(z.object({ name: z.string(), aliases: z.array(z.string()).nullish() }).loose());
export type A1111Samplers = z.infer<typeof A1111Samplers>;

/** FastAPI's 422 body: `{detail: [{loc, msg, type}]}`; A1111's middleware body `{error, detail, body, errors}`. */
export const A1111ErrorBody = z.object({
  detail: z
    .union([z.string(), z.array(z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string() }))])
    .optional(),
  error: z.string().optional(),
  errors: z.string().optional(),
  /** Forge `--nowebui` says `message` where A1111 says `errors`. */
  message: z.string().optional(),
});
