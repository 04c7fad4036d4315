import { ProviderError } from '../errors.js';
import type { GenerateRequest, GeneratedImage, ImageProvider } from '../provider.js';
import {
  assertDecodable,
  fromReferences,
  imageToImage,
  inpaint,
  renderScene,
  upscale,
  type LocalResult,
} from './inputs.js';
import { pause, renderPasses } from './passes.js';
import { buildScene } from './scene.js';

/**
 * The embedded default provider: renders a real PNG on the CPU from a scene built deterministically
 * from prompt, seed and preset, and works on a job's image inputs with real image operations
 * (inputs.ts). Offline, fast (tens of ms), free, and honest about what it is.
 */
export interface LocalProviderOptions {
  /**
   * Time each of the first two passes of an image (sketch, colour) takes, in ms (LOCAL_PASS_MS), whether
   * or not the caller asks for previews: a stand-in for an engine's steps, which take their time whether
   * anyone watches or not. 0 renders as fast as the CPU can. Default 0.
   */
  passMs?: number;
}

export function createLocalProvider({ passMs = 0 }: LocalProviderOptions = {}): ImageProvider {
  return {
    name: 'local',
    capabilities: { maxImagesPerRequest: 1, imageConditioning: true, maxLongSide: 2048 },
    pricePerImage: 0,
    async generate(request: GenerateRequest): Promise<GeneratedImage> {
      throwIfCanceled(request.signal);
      const result = await work(request, passMs);
      throwIfCanceled(request.signal);
      return { ...result, mime: 'image/png', seed: request.seed, providerRequestId: null };
    },
  };
}

async function work(request: GenerateRequest, passMs: number): Promise<LocalResult> {
  await assertDecodable(request.inputs);
  switch (request.kind ?? 'text-to-image') {
    case 'image-to-image':
      return imageToImage(request);
    case 'inpaint':
      return inpaint(request);
    case 'upscale':
      return upscale(request);
    case 'reference':
      return fromReferences(request);
    case 'text-to-image': {
      // Conditioning: the best-matching reference's palette colours the scene.
      const palette = request.references?.find((reference) => reference.palette.length > 0)?.palette;
      if (request.onPreview) {
        // The image develops in passes (sketch, colour), each shown before the final one.
        const scene = { ...request, ...(palette ? { palette } : {}) };
        await renderPasses(scene, buildScene(scene), request.onPreview, {
          passMs,
          ...(request.signal ? { signal: request.signal } : {}),
        });
        throwIfCanceled(request.signal);
      } else if (passMs > 0) {
        // Nobody watches, but the passes take their time all the same (only their pictures are skipped).
        await pause(2 * passMs, request.signal);
        throwIfCanceled(request.signal);
      }
      const bytes = await renderScene(request, request.width, request.height, palette);
      return { bytes, width: request.width, height: request.height };
    }
    default:
      throw new ProviderError('invalid_request', `local: kind ${String(request.kind)} is not one local can do`);
  }
}

function throwIfCanceled(signal?: AbortSignal) {
  if (signal?.aborted) throw new ProviderError('canceled', 'the request was canceled');
}
