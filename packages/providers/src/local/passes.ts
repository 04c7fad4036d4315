/**
 * The local provider's image develops in passes, each shown as a preview before the final image: a light
 * pencil sketch (the scene's outlines), then blocked-in colour (the scene blurred), then the detail (the
 * image itself). Every pass is rendered from the same scene, so what the previews show is what arrives.
 */
import sharp from 'sharp';
import type { EnginePreview } from '../provider.js';
import { buildScene, type SceneRequest } from './scene.js';

export const LOCAL_PASSES = 3;

/**
 * Renders the first two passes of `scene` (the third is the final image, the caller's), telling
 * `onPreview` each, `passMs` apart. Stops early when `signal` is aborted.
 */
export async function renderPasses(
  scene: SceneRequest,
  finalSvg: string,
  onPreview: (preview: EnginePreview) => void,
  { passMs, signal }: { passMs: number; signal?: AbortSignal },
): Promise<void> {
  const small = { width: Math.max(1, Math.round(scene.width / 4)), height: Math.max(1, Math.round(scene.height / 4)) };
  const sketch = await sharp(Buffer.from(buildScene({ ...scene, outlineOnly: true })))
    .resize(small.width, small.height, { fit: 'fill' })
    // Pencil on paper: the outlines, light grey.
    .linear(0.35, 255 * 0.65)
    .png()
    .toBuffer();
  onPreview({ bytes: sketch, mime: 'image/png', step: 1, steps: LOCAL_PASSES });
  if (await pause(passMs, signal)) return;
  const colour = await sharp(Buffer.from(finalSvg))
    .resize(small.width, small.height, { fit: 'fill' })
    .blur(Math.max(1, Math.min(small.width, small.height) / 24))
    .png()
    .toBuffer();
  onPreview({ bytes: colour, mime: 'image/png', step: 2, steps: LOCAL_PASSES });
  await pause(passMs, signal);
}

/** Waits `ms`; answers true when `signal` was aborted first. */
export function pause(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(true);
  if (ms <= 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
