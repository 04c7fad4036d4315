/**
 * The contract every provider adapter keeps, as one suite run against each adapter with its fake (see
 * contract.test.ts): an image of the asked size in a known mime, the seed read back, an aborted call
 * rejected promptly with `canceled`, a vendor's passing failure mapped to `transient`. Cases a provider
 * cannot be driven into (a CPU renderer that finishes before it can be canceled mid-way, an offline one
 * that never fails transiently) are left out for it, not skipped.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { IMAGE_MIME_TYPES, type GenerateRequest, type ImageProvider } from '../provider.js';
import { providerFailure } from './expect-failure.js';

export interface ContractSubject {
  provider: ImageProvider;
  /** A provider whose next call runs long enough (a second or more) to be canceled mid-way. */
  slow?(): ImageProvider | Promise<ImageProvider>;
  /** A provider whose next call meets a vendor's passing failure (a 5xx, an overloaded queue). */
  failingTransiently?(): ImageProvider | Promise<ImageProvider>;
  close?(): Promise<void>;
}

const request: GenerateRequest = {
  prompt: 'a lighthouse on a cliff',
  negativePrompt: 'blurry',
  preset: 'photo',
  width: 96,
  height: 64,
  seed: 123_456,
};

/** How long a canceled call may take to reject. */
const PROMPT_CANCEL_MS = 1500;

export function providerContract(
  name: string,
  make: () => Promise<ContractSubject>,
  cases: { slow: boolean; transient: boolean },
) {
  describe(`provider contract: ${name}`, () => {
    it('makes an image of the asked size, in a known mime, whose bytes say the same', async () => {
      const subject = await make();
      try {
        const image = await subject.provider.generate(request);
        expect(IMAGE_MIME_TYPES).toContain(image.mime);
        expect([image.width, image.height]).toEqual([96, 64]);
        const meta = await sharp(image.bytes).metadata();
        expect([meta.width, meta.height, `image/${meta.format}`]).toEqual([96, 64, image.mime]);
      } finally {
        await subject.close?.();
      }
    });

    it('reads the seed back', async () => {
      const subject = await make();
      try {
        expect((await subject.provider.generate({ ...request, seed: 77 })).seed).toBe(77);
      } finally {
        await subject.close?.();
      }
    });

    it('rejects an already-aborted call with canceled, at once', async () => {
      const subject = await make();
      try {
        const started = Date.now();
        const error = await providerFailure(subject.provider.generate({ ...request, signal: AbortSignal.abort() }));
        expect([error.code, Date.now() - started < PROMPT_CANCEL_MS]).toEqual(['canceled', true]);
      } finally {
        await subject.close?.();
      }
    });

    if (cases.slow)
      it('rejects a call aborted mid-way with canceled, promptly', async () => {
        const subject = await make();
        try {
          const provider = await subject.slow!();
          const abort = new AbortController();
          const call = provider.generate({ ...request, signal: abort.signal });
          await new Promise((resolve) => setTimeout(resolve, 150));
          const aborted = Date.now();
          abort.abort();
          const error = await providerFailure(call);
          expect([error.code, Date.now() - aborted < PROMPT_CANCEL_MS]).toEqual(['canceled', true]);
        } finally {
          await subject.close?.();
        }
      });

    if (cases.transient)
      it("maps the vendor's passing failure to transient, retryable", async () => {
        const subject = await make();
        try {
          const error = await providerFailure((await subject.failingTransiently!()).generate(request));
          expect([error.code, error.retryable]).toEqual(['transient', true]);
        } finally {
          await subject.close?.();
        }
      });
  });
}
