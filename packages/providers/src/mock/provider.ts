import sharp from 'sharp';
import { ProviderError, type ProviderErrorCode } from '../errors.js';
import type { GenerateRequest, GeneratedImage, ImageProvider } from '../provider.js';
import { hashString, makeRandom } from '../local/random.js';

/** The failures the mock can be told to produce. */
export const MOCK_FAILURE_CODES = [
  'transient',
  'rate_limited',
  'timeout',
  'content_filtered',
  'invalid_request',
] as const;
export type MockFailureCode = (typeof MOCK_FAILURE_CODES)[number];

export interface MockProviderOptions {
  /** Latency of each request in ms, drawn uniformly from [min, max]. Default [0, 0]. */
  latencyMs?: readonly [number, number];
  /** Chance of each failure per attempt (0-1, summing to at most 1); the rest succeed. Default none. */
  failures?: Partial<Record<MockFailureCode, number>>;
  /** Retry-after sent with `rate_limited`, in ms. Default 1000. */
  retryAfterMs?: number;
  /** Seed of every draw, so a run can be repeated exactly. Default 0. */
  seed?: number;
  /** Credits per image. Default 1. */
  pricePerImage?: number;
}

/**
 * A provider for tests, demos and benchmarks: configurable latency and failure mix, decided by a seeded
 * draw per (prompt, image seed, attempt), so the same job fails the same way on every run and on every
 * worker. Its images are solid-colour PNGs of the requested size, cached, so that at zero latency it
 * measures Darkroom and not image encoding.
 */
export function createMockProvider(options: MockProviderOptions = {}): ImageProvider {
  const { latencyMs = [0, 0], failures = {}, retryAfterMs = 1000, seed = 0, pricePerImage = 1 } = options;
  const total = Object.values(failures).reduce((sum, p) => sum + (p ?? 0), 0);
  if (total > 1) throw new Error(`mock failure chances add up to ${total}, more than 1`);
  const images = new Map<string, Promise<Buffer>>();

  const pngFor = (width: number, height: number, hue: number) => {
    const key = `${width}x${height}:${hue}`;
    let png = images.get(key);
    if (!png) {
      if (images.size > 256) images.clear();
      const [r, g, b] = hueToRgb(hue);
      png = sharp({ create: { width, height, channels: 3, background: { r, g, b } } })
        .png({ compressionLevel: 1 })
        .toBuffer();
      images.set(key, png);
    }
    return png;
  };

  return {
    name: 'mock',
    capabilities: { maxImagesPerRequest: 1, imageConditioning: false, maxLongSide: 4096 },
    // Accepts every kind with its inputs (PROVIDER_KINDS.mock): it answers with a solid image of the
    // size the kind gives and echoes the kind as the image's model.
    pricePerImage,
    async generate(request: GenerateRequest): Promise<GeneratedImage> {
      const draw = makeRandom(hashString(`${seed}|${request.prompt}|${request.seed}|${request.attempt ?? 1}`));
      const latency = latencyMs[0] + draw.next() * (latencyMs[1] - latencyMs[0]);
      const outcome = pickOutcome(draw.next(), failures);
      await wait(latency, request.signal);
      if (outcome) throw failureFor(outcome, retryAfterMs);
      const kind = request.kind ?? 'text-to-image';
      const { width, height } = sizeFor(request);
      const bytes = await pngFor(width, height, request.seed % 12);
      // The kind is echoed as the model, so a test can see which work the mock was asked for.
      return {
        bytes,
        mime: 'image/png',
        width,
        height,
        seed: request.seed,
        model: `mock/${kind}`,
        providerRequestId: null,
      };
    },
  };
}

/**
 * The size a real provider would answer: an edit keeps its input's size, an upscale multiplies it,
 * text and references make the requested size. A kind that needs an image and has none is refused.
 */
function sizeFor(request: GenerateRequest): { width: number; height: number } {
  const kind = request.kind ?? 'text-to-image';
  if (kind === 'text-to-image' || kind === 'reference') return { width: request.width, height: request.height };
  const image = request.inputs?.image;
  if (!image) throw new ProviderError('invalid_request', `mock: inputs.image: ${kind} needs an image`);
  const factor = kind === 'upscale' ? (request.inputs?.upscale ?? 2) : 1;
  return { width: image.width * factor, height: image.height * factor };
}

function pickOutcome(roll: number, failures: Partial<Record<MockFailureCode, number>>): MockFailureCode | null {
  let edge = 0;
  for (const code of MOCK_FAILURE_CODES) {
    edge += failures[code] ?? 0;
    if (roll < edge) return code;
  }
  return null;
}

function failureFor(code: MockFailureCode, retryAfterMs: number): ProviderError {
  const messages: Record<MockFailureCode, string> = {
    transient: 'mock: upstream returned 503',
    rate_limited: 'mock: rate limit exceeded',
    timeout: 'mock: no answer in time',
    content_filtered: 'mock: the prompt was refused by the safety system',
    invalid_request: 'mock: the request was invalid',
  };
  return new ProviderError(
    code satisfies ProviderErrorCode,
    messages[code],
    code === 'rate_limited' ? retryAfterMs : undefined,
  );
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ProviderError('canceled', 'the request was canceled'));
    if (ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      reject(new ProviderError('canceled', 'the request was canceled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function hueToRgb(step: number): [number, number, number] {
  const h = (step * 30) / 60;
  const x = Math.round(255 * (1 - Math.abs((h % 2) - 1)));
  const table: [number, number, number][] = [
    [255, x, 0],
    [x, 255, 0],
    [0, 255, x],
    [0, x, 255],
    [x, 0, 255],
    [255, 0, x],
  ];
  return table[Math.floor(h) % 6]!;
}

/**
 * Reads a failure mix written as `transient:0.15,rate_limited:0.05` (environment variables).
 * Throws on an unknown code or a chance outside 0-1.
 */
export function parseMockFailures(text: string): Partial<Record<MockFailureCode, number>> {
  const out: Partial<Record<MockFailureCode, number>> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [code, chance] = part.split(':');
    if (!MOCK_FAILURE_CODES.includes(code as MockFailureCode)) {
      throw new Error(`unknown mock failure "${code}" (expected one of ${MOCK_FAILURE_CODES.join(', ')})`);
    }
    const value = Number(chance);
    if (!(value >= 0 && value <= 1))
      throw new Error(`mock failure chance for ${code} must be between 0 and 1, got "${chance}"`);
    out[code as MockFailureCode] = value;
  }
  return out;
}
