/**
 * The body of one A1111 call: `txt2img` for a prompt alone, `img2img` for an input image (with a mask
 * to inpaint). A1111's mask convention is Darkroom's (white = repaint) for an opaque mask, so the mask
 * is sent opaque; `denoising_strength` is Darkroom's strength (0 keeps the input, 1 ignores it).
 */
import { DEFAULT_STRENGTH } from '@darkroom/core';
import { kindOfRequest } from '../engines/kind.js';
import { maskAsOpaqueGrey } from '../engines/mask.js';
import type { GenerateRequest } from '../provider.js';
import type { A1111Img2ImgFields, A1111Txt2ImgRequest } from './wire.js';

export interface A1111Defaults {
  steps: number;
  cfgScale: number;
  sampler: string;
}

/** How far an inpaint moves inside the mask when the job does not say (A1111's own default). */
const INPAINT_STRENGTH = 0.75;

export async function a1111Call(
  request: GenerateRequest,
  defaults: A1111Defaults,
  extra: { checkpoint?: string; taskId: string; loras?: { name: string; weight: number }[] },
): Promise<{ endpoint: 'txt2img' | 'img2img'; body: A1111Txt2ImgRequest & Partial<A1111Img2ImgFields> }> {
  const common: A1111Txt2ImgRequest & { force_task_id: string } = {
    // The Lora extension reads LoRAs from the prompt: `<lora:name:weight>`.
    prompt: [request.prompt, ...(extra.loras ?? []).map((l) => `<lora:${l.name}:${l.weight}>`)].join(' '),
    negative_prompt: request.negativePrompt ?? '',
    seed: request.seed,
    steps: defaults.steps,
    cfg_scale: defaults.cfgScale,
    sampler_name: defaults.sampler,
    width: request.width,
    height: request.height,
    batch_size: 1,
    n_iter: 1,
    send_images: true,
    save_images: false,
    force_task_id: extra.taskId,
    ...(extra.checkpoint
      ? { override_settings: { sd_model_checkpoint: extra.checkpoint }, override_settings_restore_afterwards: true }
      : {}),
  };
  const kind = kindOfRequest(request);
  const image = request.inputs?.image;
  if (kind === 'text-to-image' || !image) return { endpoint: 'txt2img', body: common };
  const mask = kind === 'inpaint' ? request.inputs?.mask : undefined;
  const img2img: A1111Img2ImgFields = {
    init_images: [`data:${image.mime};base64,${image.bytes.toString('base64')}`],
    // resize_mode 0 ("Just resize"): the result has the job's width and height.
    resize_mode: 0,
    denoising_strength: request.inputs?.strength ?? (mask ? INPAINT_STRENGTH : DEFAULT_STRENGTH),
    include_init_images: false,
    ...(mask
      ? {
          mask: (await maskAsOpaqueGrey(mask, image.width, image.height)).toString('base64'),
          inpainting_mask_invert: 0,
          // 1 "original": the masked area starts from the input's pixels, as a strength below 1 expects.
          inpainting_fill: 1,
          // false "Whole picture": the output is the whole image at the job's size, not the masked crop.
          inpaint_full_res: false,
          mask_blur: 4,
        }
      : {}),
  };
  return { endpoint: 'img2img', body: { ...common, ...img2img } };
}
