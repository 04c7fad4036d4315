/**
 * The built-in ComfyUI workflow templates, one per kind a stock ComfyUI can do with core nodes only
 * (after `script_examples` and the img2img / inpaint examples of ComfyUI's docs), in API format with
 * Darkroom's placeholders (see workflow.ts). Each works with any SD1.x/SDXL checkpoint.
 */
import type { ApiWorkflow } from './workflow.js';

const loaders: ApiWorkflow = {
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: '{{model|v1-5-pruned-emaonly.safetensors}}' } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: '{{prompt}}', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: '{{negative_prompt}}', clip: ['4', 1] } },
};

const sampler = (latent: [string, number], denoise: number | string) => ({
  class_type: 'KSampler',
  inputs: {
    seed: '{{seed}}',
    steps: '{{steps|20}}',
    cfg: '{{cfg|7}}',
    sampler_name: '{{sampler|euler}}',
    scheduler: 'normal',
    denoise,
    model: ['4', 0],
    positive: ['6', 0],
    negative: ['7', 0],
    latent_image: latent,
  },
});

const output: ApiWorkflow = {
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'darkroom', images: ['8', 0] } },
};

/** The input image scaled to the job's size, so every kind answers the size the job asked for. */
const scaledInput: ApiWorkflow = {
  '10': { class_type: 'LoadImage', inputs: { image: '{{image}}' } },
  '12': {
    class_type: 'ImageScale',
    inputs: { image: ['10', 0], upscale_method: 'lanczos', width: '{{width}}', height: '{{height}}', crop: 'disabled' },
  },
  '11': { class_type: 'VAEEncode', inputs: { pixels: ['12', 0], vae: ['4', 2] } },
};

/** Text to image: ComfyUI's own `script_examples` graph. */
export const BUILTIN_TXT2IMG: ApiWorkflow = {
  ...loaders,
  '5': { class_type: 'EmptyLatentImage', inputs: { width: '{{width}}', height: '{{height}}', batch_size: 1 } },
  '3': sampler(['5', 0], 1),
  ...output,
};

/** Image to image: the input encoded as the starting latent; `denoise` = strength (0 keeps it, 1 ignores it). */
export const BUILTIN_IMG2IMG: ApiWorkflow = {
  ...loaders,
  ...scaledInput,
  '3': sampler(['11', 0], '{{strength}}'),
  ...output,
};

/**
 * Inpaint for ordinary checkpoints (SetLatentNoiseMask: only the masked latent is re-noised). `{{mask}}`
 * is the image with the mask in its alpha, transparent = regenerate, as `/upload/mask` writes it;
 * LoadImageMask inverts alpha, so the MASK is 1 where the job's mask was white. KSampler scales the
 * noise mask to the latent, so the scaled image and the unscaled mask line up.
 */
export const BUILTIN_INPAINT: ApiWorkflow = {
  ...loaders,
  ...scaledInput,
  '13': { class_type: 'LoadImageMask', inputs: { image: '{{mask}}', channel: 'alpha' } },
  '14': { class_type: 'SetLatentNoiseMask', inputs: { samples: ['11', 0], mask: ['13', 0] } },
  '3': sampler(['14', 0], '{{strength|1}}'),
  ...output,
};
