/**
 * The contract every provider adapter keeps, as one suite run against each adapter with its fake (see
 * contract.engines.test.ts and contract.vendors.test.ts): an image in a known mime whose reported size
 * is its bytes' (the asked size, for providers that render it), the seed read back, an aborted call
 * rejected promptly with `canceled`, a vendor's passing failure mapped to `transient`, its lasting
 * refusal to its typed code, an address nothing answers on to `transient`, and no listener left on the
 * caller's signal. Cases a provider cannot be driven into (a CPU renderer that finishes before it can be
 * canceled mid-way, an offline one that never fails or calls anyone) are left out for it, not skipped.
 */
import { getEventListeners } from 'node:events';
import { createServer } from 'node:net';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { ProviderErrorCode } from '../errors.js';
import { IMAGE_MIME_TYPES, type GenerateRequest, type ImageProvider } from '../provider.js';
import { providerFailure } from './expect-failure.js';

export interface ContractSubject {
  provider: ImageProvider;
  /** A provider whose next call runs long enough (a second or more) to be canceled mid-way. */
  slow?(): ImageProvider | Promise<ImageProvider>;
  /** A provider whose next call meets a vendor's passing failure (a 5xx, an overloaded queue). */
  failingTransiently?(): ImageProvider | Promise<ImageProvider>;
  /** A provider whose next call (with `request` over the suite's) the vendor refuses for good, and the code that maps to. */
  refusing?(): Refusal | Promise<Refusal>;
  /** The adapter configured for `url`, an address where nothing listens. */
  unreachable?(url: string): ImageProvider;
  /** Whether the image has exactly the asked size (engines render it; vendors answer their own). Default true. */
  exactSize?: boolean;
  close?(): Promise<void>;
}

export interface Refusal {
  provider: ImageProvider;
  request?: Partial<GenerateRequest>;
  code: ProviderErrorCode;
}

export interface ContractCases {
  slow: boolean;
  transient: boolean;
  refusing: boolean;
  unreachable: boolean;
}

/** A local address that refuses connections: a port just bound and released. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

const abortListeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

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

export function providerContract(name: string, make: () => Promise<ContractSubject>, cases: ContractCases) {
  describe(`provider contract: ${name}`, () => {
    it('makes an image in a known mime whose bytes have the reported size (the asked one where rendered)', async () => {
      const subject = await make();
      try {
        const image = await subject.provider.generate(request);
        expect(IMAGE_MIME_TYPES).toContain(image.mime);
        if (subject.exactSize !== false) expect([image.width, image.height]).toEqual([96, 64]);
        const meta = await sharp(image.bytes).metadata();
        expect([meta.width, meta.height, `image/${meta.format}`]).toEqual([image.width, image.height, image.mime]);
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

    if (cases.refusing)
      it("maps the vendor's lasting refusal to its typed code, not retryable", async () => {
        const subject = await make();
        try {
          const refusal = await subject.refusing!();
          const error = await providerFailure(refusal.provider.generate({ ...request, ...refusal.request }));
          expect([error.code, error.retryable]).toEqual([refusal.code, false]);
        } finally {
          await subject.close?.();
        }
      });

    if (cases.unreachable)
      it('fails transient, retryable, when nothing answers at its address', async () => {
        const subject = await make();
        try {
          const error = await providerFailure(subject.unreachable!(await closedPort()).generate(request));
          expect([error.code, error.retryable]).toEqual(['transient', true]);
        } finally {
          await subject.close?.();
        }
      });

    it("leaves no listener on the caller's signal, whether the call succeeds, fails or is canceled", async () => {
      const subject = await make();
      try {
        const succeeded = new AbortController();
        await subject.provider.generate({ ...request, signal: succeeded.signal });
        const signals = [succeeded.signal];
        if (cases.refusing) {
          const refusal = await subject.refusing!();
          const failed = new AbortController();
          await providerFailure(refusal.provider.generate({ ...request, ...refusal.request, signal: failed.signal }));
          signals.push(failed.signal);
        }
        if (cases.slow) {
          const canceled = new AbortController();
          const call = (await subject.slow!()).generate({ ...request, signal: canceled.signal });
          await new Promise((resolve) => setTimeout(resolve, 100));
          canceled.abort();
          await providerFailure(call);
          signals.push(canceled.signal);
        }
        expect(signals.map(abortListeners)).toEqual(signals.map(() => 0));
      } finally {
        await subject.close?.();
      }
    });
  });
}
