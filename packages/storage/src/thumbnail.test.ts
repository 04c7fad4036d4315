import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { makeThumbnail, thumbnailKey } from './index.js';

const image = (width: number, height: number, format: 'png' | 'jpeg' = 'png') => {
  const canvas = sharp({ create: { width, height, channels: 4, background: { r: 200, g: 80, b: 20, alpha: 0.5 } } });
  return (format === 'png' ? canvas.png() : canvas.jpeg()).toBuffer();
};

describe('thumbnails', () => {
  it('shrinks the long side to 256 px, keeps the aspect ratio, and writes webp', async () => {
    const thumb = await makeThumbnail(await image(1024, 768));
    const meta = await sharp(thumb.body).metadata();

    expect([thumb.width, thumb.height, meta.format, meta.width, meta.height]).toEqual([256, 192, 'webp', 256, 192]);
  });

  it('never enlarges a small image, and keeps transparency', async () => {
    const thumb = await makeThumbnail(await image(100, 40));
    const meta = await sharp(thumb.body).metadata();

    expect([thumb.width, thumb.height, meta.hasAlpha]).toEqual([100, 40, true]);
  });

  it('gives the same bytes for the same image', async () => {
    const source = await image(600, 900, 'jpeg');
    expect((await makeThumbnail(source)).body.equals((await makeThumbnail(source)).body)).toBe(true);
  });

  it('names thumbnails beside their image, as webp', () => {
    expect(thumbnailKey('job-1', 3)).toBe('jobs/job-1/3.thumb.webp');
  });
});
