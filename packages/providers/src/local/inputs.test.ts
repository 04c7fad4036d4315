import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isProviderError } from '../errors.js';
import type { GenerateRequest, InputImage } from '../provider.js';
import { createLocalProvider } from './provider.js';

const local = createLocalProvider();
const W = 240;
const H = 180;

/** A colourful "photo": a sky gradient, a red sun, a green hill and a blue box, saved as JPEG. */
async function photo(): Promise<InputImage> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#3a7bd5"/><stop offset="1" stop-color="#f6d365"/></linearGradient></defs>
    <rect width="${W}" height="${H}" fill="url(#g)"/>
    <circle cx="60" cy="50" r="30" fill="#e52d27"/>
    <path d="M0 140 Q 120 80 240 140 L240 180 L0 180 Z" fill="#1d9a3c"/>
    <rect x="150" y="30" width="60" height="50" fill="#2b32b2"/></svg>`;
  const bytes = await sharp(Buffer.from(svg)).jpeg({ quality: 92 }).toBuffer();
  return { bytes, mime: 'image/jpeg', width: W, height: H };
}

/** White (regenerate) in the rectangle x 40..120, y 60..140, black elsewhere. */
async function mask(): Promise<InputImage> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="${W}" height="${H}" fill="#000"/><rect x="40" y="60" width="80" height="80" fill="#fff"/></svg>`;
  return { bytes: await sharp(Buffer.from(svg)).png().toBuffer(), mime: 'image/png', width: W, height: H };
}

const rgb = async (bytes: Buffer) => {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
};

const base = (overrides: Partial<GenerateRequest>): GenerateRequest => ({
  prompt: 'a quiet garden with flowers',
  preset: 'illustration',
  width: 256,
  height: 256,
  seed: 11,
  ...overrides,
});

describe('local inpaint', () => {
  it('leaves every pixel outside the mask byte-identical and changes the inside', async () => {
    const image = await photo();
    const result = await local.generate(base({ kind: 'inpaint', inputs: { image, mask: await mask() } }));
    const before = await rgb(image.bytes);
    const after = await rgb(result.bytes);
    expect([after.width, after.height, result.width, result.height]).toEqual([W, H, W, H]);
    let outsideChanged = 0;
    let insideDifference = 0;
    let insidePixels = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = (y * W + x) * 3;
        const inside = x >= 40 && x < 120 && y >= 60 && y < 140;
        const difference = [0, 1, 2].reduce((sum, c) => sum + Math.abs(before.data[i + c]! - after.data[i + c]!), 0);
        if (inside) {
          insideDifference += difference;
          insidePixels++;
        } else if (difference !== 0) outsideChanged++;
      }
    }
    expect(outsideChanged).toBe(0);
    expect(insideDifference / insidePixels / 3).toBeGreaterThan(20);
  });

  it('refuses a mask of another size than its image, naming both sizes', async () => {
    const small = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const error = await local
      .generate(
        base({
          kind: 'inpaint',
          inputs: { image: await photo(), mask: { bytes: small, mime: 'image/png', width: 10, height: 10 } },
        }),
      )
      .catch((e: unknown) => e);
    expect(isProviderError(error) && error.code).toBe('invalid_request');
    expect(String(error)).toMatch(/inputs\.mask.*10x10.*240x180/);
  });
});

describe('local image-to-image', () => {
  it('makes a coloring page of a colourful photo: pure black line art on white, with its edges', async () => {
    const result = await local.generate(
      base({ kind: 'image-to-image', preset: 'coloring-page', inputs: { image: await photo(), strength: 0.6 } }),
    );
    const { data, width } = await rgb(result.bytes);
    let black = 0;
    let white = 0;
    for (let i = 0; i < data.length; i += 3) {
      if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 0) black++;
      else if (data[i] === 255 && data[i + 1] === 255 && data[i + 2] === 255) white++;
    }
    const pixels = data.length / 3;
    expect(black + white).toBe(pixels);
    expect(white / pixels).toBeGreaterThan(0.8);
    expect(black / pixels).toBeGreaterThan(0.02);
    const isBlackNear = (x: number, y: number) =>
      [-2, -1, 0, 1, 2].some((d) => data[(y * width + x + d) * 3] === 0 || data[((y + d) * width + x) * 3] === 0);
    // The sun's left edge (x = 30), the box's top edge (y = 30): lines. The box's middle: white.
    expect(isBlackNear(30, 50)).toBe(true);
    expect(isBlackNear(180, 30)).toBe(true);
    expect(data[(55 * width + 180) * 3]).toBe(255);
  });

  it('recolours toward the preset palette by strength: 0 keeps the photo, more moves further', async () => {
    const image = await photo();
    const original = await rgb(image.bytes);
    const distance = async (strength: number) => {
      const result = await local.generate(base({ kind: 'image-to-image', inputs: { image, strength } }));
      const { data } = await rgb(result.bytes);
      let total = 0;
      for (let i = 0; i < data.length; i++) total += Math.abs(data[i]! - original.data[i]!);
      return total / data.length;
    };
    const [none, half, full] = [await distance(0), await distance(0.5), await distance(1)];
    expect(none).toBe(0);
    expect(half).toBeGreaterThan(5);
    expect(full).toBeGreaterThan(half * 1.5);
  });

  it('gives the same bytes for the same inputs and seed', async () => {
    const request = base({ kind: 'image-to-image', inputs: { image: await photo(), strength: 0.7 } });
    const [a, b] = [await local.generate(request), await local.generate(request)];
    expect(a.bytes.equals(b.bytes)).toBe(true);
  });
});

describe('local upscale', () => {
  it('doubles the size exactly with a real resample, not a nearest-neighbour copy', async () => {
    const image = await photo();
    const result = await local.generate(base({ kind: 'upscale', inputs: { image, upscale: 2 } }));
    const { data, width, height } = await rgb(result.bytes);
    expect([width, height, result.width, result.height]).toEqual([W * 2, H * 2, W * 2, H * 2]);
    // A nearest-neighbour copy repeats every source pixel in a 2x2 block; a resample does not.
    let uniformBlocks = 0;
    let blocks = 0;
    for (let y = 0; y < height; y += 2) {
      for (let x = 0; x < width; x += 2) {
        const i = (y * width + x) * 3;
        const same = [3, width * 3, width * 3 + 3].every((o) => data[i + o] === data[i]);
        if (same) uniformBlocks++;
        blocks++;
      }
    }
    expect(uniformBlocks / blocks).toBeLessThan(0.9);
    const nearest = await sharp(image.bytes)
      .resize(W * 2, H * 2, { kernel: 'nearest' })
      .raw()
      .toBuffer();
    expect(nearest.equals(data)).toBe(false);
  });

  it('quadruples the size', async () => {
    const result = await local.generate(base({ kind: 'upscale', inputs: { image: await photo(), upscale: 4 } }));
    expect([result.width, result.height]).toEqual([W * 4, H * 4]);
    expect((await sharp(result.bytes).metadata()).width).toBe(W * 4);
  });
});

describe('local references', () => {
  it('places a product on the generated background and takes a person reference palette', async () => {
    const product = await sharp({ create: { width: 60, height: 60, channels: 4, background: '#ff00ff' } })
      .png()
      .toBuffer();
    const person = await sharp({ create: { width: 20, height: 20, channels: 3, background: '#00c0c0' } })
      .png()
      .toBuffer();
    const plain = await local.generate(base({ kind: 'text-to-image' }));
    const result = await local.generate(
      base({
        kind: 'reference',
        inputs: {
          references: [
            { role: 'product', image: { bytes: product, mime: 'image/png', width: 60, height: 60 } },
            { role: 'person', image: { bytes: person, mime: 'image/png', width: 20, height: 20 } },
          ],
        },
      }),
    );
    const { data, width } = await rgb(result.bytes);
    // The product sits centred on the lower part: magenta there.
    const at = (x: number, y: number) => [...data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
    expect(at(128, 190)).toEqual([255, 0, 255]);
    // The sky takes the person's teal.
    const [r, g, b] = at(5, 5) as [number, number, number];
    expect(g > 150 && b > 150 && r < 60).toBe(true);
    expect(result.bytes.equals(plain.bytes)).toBe(false);
  });
});

describe('local with hostile inputs', () => {
  it('refuses a truncated image, naming the input, and is deterministic for every kind', async () => {
    const image = await photo();
    const cut = { ...image, bytes: image.bytes.subarray(0, Math.floor(image.bytes.length / 2)) };
    const errors = await Promise.all(
      [
        local.generate(base({ kind: 'image-to-image', inputs: { image: cut } })),
        local.generate(
          base({
            kind: 'reference',
            inputs: {
              references: [
                { role: 'style', image },
                { role: 'product', image: cut },
              ],
            },
          }),
        ),
        local.generate(
          base({ kind: 'upscale', inputs: { image: { ...image, bytes: Buffer.from('not an image') }, upscale: 2 } }),
        ),
      ].map((call) => call.catch((error: unknown) => error)),
    );
    expect(errors.map((error) => isProviderError(error) && error.code)).toEqual(Array(3).fill('invalid_request'));
    expect(errors.map(String)).toEqual([
      expect.stringMatching(/inputs\.image: not a readable image/),
      expect.stringMatching(/inputs\.references\[1\]: not a readable image/),
      expect.stringMatching(/inputs\.image: not a readable image/),
    ]);
  });

  it('refuses truncated images decoded side by side with whole ones, every time', async () => {
    const image = await photo();
    const cut = { ...image, bytes: Buffer.from(image.bytes.subarray(0, Math.floor(image.bytes.length / 2))) };
    const outcomes = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        local.generate(base({ kind: 'image-to-image', inputs: { image: i % 3 === 0 ? image : cut } })).then(
          () => 'made',
          (error: unknown) => (isProviderError(error) ? error.code : String(error)),
        ),
      ),
    );
    expect(outcomes).toEqual(Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? 'made' : 'invalid_request')));
  });

  it('gives the same bytes for the same inputs and seed, for every kind', async () => {
    const image = await photo();
    const requests = [
      base({ kind: 'inpaint', inputs: { image, mask: await mask() } }),
      base({ kind: 'upscale', inputs: { image, upscale: 2 } }),
      base({
        kind: 'reference',
        inputs: {
          references: [
            { role: 'product', image },
            { role: 'person', image },
          ],
        },
      }),
      base({ kind: 'image-to-image', preset: 'coloring-page', inputs: { image } }),
    ];
    for (const request of requests) {
      const [a, b] = [await local.generate(request), await local.generate(request)];
      expect(a.bytes.equals(b.bytes)).toBe(true);
    }
  });
});
