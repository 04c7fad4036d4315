import sharp from 'sharp';
import { ProviderError } from '../errors.js';
import type { GenerateRequest, GeneratedImage, ImageProvider } from '../provider.js';
import { renderPasses } from './passes.js';
import { buildScene } from './scene.js';

/**
 * The embedded default provider: renders a real PNG on the CPU from a scene built deterministically
 * from prompt, seed and preset. Offline, fast (tens of ms), free, and honest about what it is.
 */
export interface LocalProviderOptions {
  /**
   * Time between the passes of a developing image (sketch, colour, detail), in ms, when the caller asks
   * for previews (LOCAL_PASS_MS): 0 renders as fast as the CPU can. Default 0.
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
      // Conditioning: the best-matching reference's palette colours the scene.
      const palette = request.references?.find((reference) => reference.palette.length > 0)?.palette;
      const scene = { ...request, ...(palette ? { palette } : {}) };
      const svg = buildScene(scene);
      if (request.onPreview) {
        await renderPasses(scene, svg, request.onPreview, {
          passMs,
          ...(request.signal ? { signal: request.signal } : {}),
        });
        throwIfCanceled(request.signal);
      }
      const bytes = await sharp(Buffer.from(svg))
        .resize(request.width, request.height, { fit: 'fill' })
        // Fixed encoder settings keep the bytes identical for identical input.
        .png({ compressionLevel: 6, adaptiveFiltering: false })
        .toBuffer();
      throwIfCanceled(request.signal);
      return {
        bytes,
        mime: 'image/png',
        width: request.width,
        height: request.height,
        seed: request.seed,
        providerRequestId: null,
      };
    },
  };
}

function throwIfCanceled(signal?: AbortSignal) {
  if (signal?.aborted) throw new ProviderError('canceled', 'the request was canceled');
}
