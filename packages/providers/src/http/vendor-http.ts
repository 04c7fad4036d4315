/**
 * The one way adapters talk HTTP to a vendor. Whatever goes wrong on the wire (no answer, a reset, a
 * redirect loop, a body too large, JSON that does not parse or has the wrong shape) becomes a
 * ProviderError with a taxonomy code, so a misbehaving vendor fails one image and never the worker.
 * Error messages pass through `redact`, so an API key a vendor echoes back never reaches a log or a job.
 */
import sharp from 'sharp';
import type { z } from 'zod';
import { ATTR, currentAttempt, markFailed, SpanKind, urlWithoutQuery, withSpan } from '@darkroom/telemetry';
import { ProviderError, type ProviderErrorCode, type ProviderErrorOptions } from '../errors.js';
import type { ImageMime } from '../provider.js';

export interface VendorHttpOptions {
  /** Names the vendor in error messages. */
  vendor: string;
  /** Removed from every error message (API keys). */
  secrets: string[];
  /** Longest wait for one HTTP exchange, body included, in ms. */
  timeoutMs: number;
  /** Largest body read from the vendor, in bytes. Default 50 MiB. */
  maxBytes?: number;
}

export interface VendorRequest {
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  headers?: Record<string, string>;
  body?: string | FormData | Blob;
  signal?: AbortSignal;
  /** Overrides the client's timeout for this call (a `Prefer: wait` create holds the line longer). */
  timeoutMs?: number;
  /** Told each piece of a 200 answer's body as it arrives (a stream of events); the body is still returned whole. */
  onChunk?: (chunk: Buffer) => void;
}

export interface VendorResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

export interface VendorHttp {
  readonly vendor: string;
  request(request: VendorRequest): Promise<VendorResponse>;
  /** The body parsed as JSON and checked against `schema`; a vendor that breaks its format is `transient`. */
  json<Schema extends z.ZodType>(response: VendorResponse, schema: Schema): z.output<Schema>;
  /** A ProviderError whose message names the vendor and carries no secret. */
  error(code: ProviderErrorCode, message: string, retryAfterMs?: number, options?: ProviderErrorOptions): ProviderError;
  /** Downloads an output and checks that the bytes are an image. */
  download(url: string, signal?: AbortSignal): Promise<DecodedImage>;
}

export interface DecodedImage {
  bytes: Buffer;
  mime: ImageMime;
  width: number;
  height: number;
}

const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;

export function makeVendorHttp(options: VendorHttpOptions): VendorHttp {
  const { vendor, timeoutMs, maxBytes = DEFAULT_MAX_BYTES } = options;
  const secrets = options.secrets.filter((secret) => secret.length >= 4);
  const error: VendorHttp['error'] = (code, message, retryAfterMs, errorOptions) =>
    new ProviderError(code, redact(`${vendor}: ${message}`, secrets), retryAfterMs, errorOptions);

  /**
   * `provider.call`: one HTTP exchange with the vendor (status polls and downloads included), with its
   * status, the image's attempt, and the error's code when it fails. The URL without its query (signed
   * download links carry credentials there); never a header or a body.
   */
  function request(call: VendorRequest): Promise<VendorResponse> {
    const method = call.method ?? 'GET';
    const attempt = currentAttempt();
    return withSpan(
      'provider.call',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR.provider]: vendor,
          'http.request.method': method,
          'url.full': urlWithoutQuery(call.url),
          ...(attempt !== undefined ? { [ATTR.imageAttempt]: attempt } : {}),
        },
      },
      async (span) => {
        const response = await exchange(call);
        span.setAttribute('http.response.status_code', response.status);
        if (response.status >= 400) markFailed(span, String(response.status));
        return response;
      },
    );
  }

  async function exchange(call: VendorRequest): Promise<VendorResponse> {
    if (call.signal?.aborted) throw error('canceled', 'the request was canceled');
    const limitMs = call.timeoutMs ?? timeoutMs;
    // One controller per call, with its listener and timer removed when the call ends: a run's signal
    // lives through hundreds of status polls and must not collect a listener per poll.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, limitMs);
    const onAbort = () => controller.abort();
    call.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const response = await fetch(call.url, {
        method: call.method ?? 'GET',
        ...(call.headers ? { headers: call.headers } : {}),
        ...(call.body !== undefined ? { body: call.body } : {}),
        signal: controller.signal,
      });
      const body = await readCapped(response, maxBytes, response.status === 200 ? call.onChunk : undefined);
      if (body === null) throw error('transient', `answered more than ${maxBytes} bytes`);
      return { status: response.status, headers: response.headers, body };
    } catch (cause) {
      if (cause instanceof ProviderError) throw cause;
      if (call.signal?.aborted) throw error('canceled', 'the request was canceled');
      if (timedOut) throw error('timeout', `no answer within ${limitMs} ms`);
      // undici reports resets, refusals and redirect loops as a TypeError with the reason as its cause.
      const reason = (cause as { cause?: { message?: string; code?: string } }).cause;
      throw error('transient', `no usable answer (${reason?.code ?? reason?.message ?? (cause as Error).message})`);
    } finally {
      clearTimeout(timer);
      call.signal?.removeEventListener('abort', onAbort);
    }
  }

  function json<Schema extends z.ZodType>(response: VendorResponse, schema: Schema): z.output<Schema> {
    let value: unknown;
    try {
      value = JSON.parse(response.body.toString('utf8'));
    } catch {
      throw error('transient', `answered ${response.status} with a body that is not JSON`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const where = parsed.error.issues[0]?.path.join('.') || 'body';
      throw error('transient', `answered ${response.status} in an unexpected shape (at ${where})`);
    }
    return parsed.data;
  }

  async function download(url: string, signal?: AbortSignal): Promise<DecodedImage> {
    const response = await request({ url, ...(signal ? { signal } : {}) });
    // An output the vendor has already deleted cannot come back: the request must be made again.
    if (response.status === 404 || response.status === 410) {
      throw error('transient', `output expired before it was downloaded (${response.status})`, undefined, {
        requestEnded: true,
      });
    }
    if (response.status !== 200) throw error('transient', `download answered ${response.status}`);
    return decodeImage(response.body, error);
  }

  return { vendor, request, json, error, download };
}

/** Reads the body, giving up (null) once it passes `maxBytes`, so a runaway vendor cannot fill memory. */
async function readCapped(
  response: Response,
  maxBytes: number,
  onChunk?: (chunk: Buffer) => void,
): Promise<Buffer | null> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => {});
    return null;
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      await response.body.cancel().catch(() => {});
      return null;
    }
    chunks.push(Buffer.from(chunk));
    onChunk?.(chunks.at(-1)!);
  }
  return Buffer.concat(chunks);
}

const FORMAT_MIME: Record<string, ImageMime> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

/** The bytes' real format and size (never the vendor's word for it); not an image is `transient`. */
export async function decodeImage(bytes: Buffer, error: VendorHttp['error']): Promise<DecodedImage> {
  const meta = await sharp(bytes)
    .metadata()
    .catch(() => null);
  const mime = meta?.format ? FORMAT_MIME[meta.format] : undefined;
  if (!meta || !mime || !meta.width || !meta.height)
    throw error('transient', 'returned bytes that are not a png, jpeg or webp image');
  return { bytes, mime, width: meta.width, height: meta.height };
}

/** `text` with every secret replaced. */
export function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}

/**
 * How long the vendor asked us to wait, in ms: `retry-after-ms`, `retry-after` (seconds or an HTTP
 * date), or OpenAI's `x-ratelimit-reset-requests` / `-tokens` durations such as `1s`, `6m0s`, `20ms`.
 */
export function retryAfterFrom(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.has('retry-after-ms') && Number.isFinite(ms) && ms >= 0) return ms;
  const after = headers.get('retry-after');
  if (after !== null) {
    const seconds = Number(after);
    if (after.trim() !== '' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(after);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const resets = ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens']
    .map((name) => parseDuration(headers.get(name)))
    .filter((value): value is number => value !== undefined);
  return resets.length > 0 ? Math.max(...resets) : undefined;
}

/** `1h2m3.5s`, `6m0s`, `20ms` -> ms. */
export function parseDuration(text: string | null): number | undefined {
  if (!text) return undefined;
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let rest = text.trim();
  if (rest === '') return undefined;
  while (rest.length > 0) {
    const match = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (!match) return undefined;
    total += Number(match[1]) * units[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return Math.round(total);
}

/** Waits `ms`, or rejects with `canceled` as soon as `signal` aborts. */
export function pause(ms: number, signal: AbortSignal | undefined, error: VendorHttp['error']): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(error('canceled', 'the request was canceled'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(error('canceled', 'the request was canceled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The common meaning of an HTTP status when the vendor's body says nothing more specific. */
export function codeForStatus(status: number): ProviderErrorCode {
  if (status === 401 || status === 403) return 'auth';
  if (status === 402) return 'quota_exhausted';
  if (status === 408 || status === 504) return 'timeout';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'transient';
  if (status >= 400) return 'invalid_request';
  // 1xx/3xx/unexpected 2xx: the vendor did not do what its API says; another try may go better.
  return 'transient';
}
