import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { EnginePreview } from '../provider.js';
import { createLocalProvider } from './provider.js';

const request = {
  prompt: 'a red dragon over a castle',
  preset: 'illustration',
  width: 512,
  height: 384,
  seed: 7,
} as const;

describe('local previews', () => {
  it('shows a sketch, then colour, before the final image, each visibly different', async () => {
    const previews: EnginePreview[] = [];
    const image = await createLocalProvider().generate({ ...request, onPreview: (p) => previews.push(p) });
    expect(previews.map((p) => [p.step, p.steps])).toEqual([
      [1, 3],
      [2, 3],
    ]);
    const [sketch, colour] = await Promise.all(
      previews.map((p) => sharp(p.bytes).resize(32, 24, { fit: 'fill' }).removeAlpha().raw().toBuffer()),
    );
    const final = await sharp(image.bytes).resize(32, 24, { fit: 'fill' }).removeAlpha().raw().toBuffer();
    const distance = (a: Buffer, b: Buffer) => a.reduce((sum, value, i) => sum + Math.abs(value - b[i]!), 0) / a.length;
    // The sketch is pencil grey on white: far from the coloured image; the colour pass is close to it.
    expect(distance(sketch!, final)).toBeGreaterThan(20);
    expect(distance(colour!, final)).toBeLessThan(distance(sketch!, final));
    expect(distance(colour!, sketch!)).toBeGreaterThan(10);
  });

  it('renders the same image with or without previews, and none unless asked', async () => {
    const provider = createLocalProvider();
    const plain = await provider.generate(request);
    const watched = await provider.generate({ ...request, onPreview: () => {} });
    expect(watched.bytes.equals(plain.bytes)).toBe(true);
  });

  it('stops between passes when canceled', async () => {
    const controller = new AbortController();
    // A pass every ten minutes: only the cancel can end this call within the test's timeout.
    const provider = createLocalProvider({ passMs: 600_000 });
    const result = provider.generate({
      ...request,
      signal: controller.signal,
      onPreview: () => controller.abort(),
    });
    await expect(result).rejects.toMatchObject({ code: 'canceled' });
  });

  it("takes the passes' time when nobody watches too, so previews cost only their pictures", async () => {
    // A lower bound only: timers never fire early, so this cannot fail on a slow machine.
    const started = performance.now();
    await createLocalProvider({ passMs: 150 }).generate(request);
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
  });

  it('stops the unwatched passes when canceled', async () => {
    const controller = new AbortController();
    const result = createLocalProvider({ passMs: 600_000 }).generate({ ...request, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(result).rejects.toMatchObject({ code: 'canceled' });
  });
});
