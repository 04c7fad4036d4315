/**
 * A real HTTP server on 127.0.0.1 for the fake vendors: every request is recorded (what a vendor's bill
 * would count), and a test can queue replies that take precedence over the fake's normal behaviour
 * (a 429 with headers, a 5xx, a malformed body, silence, a reset).
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { trackResource } from '@darkroom/core/tracked-resources';
import sharp from 'sharp';

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/v1/predictions/abc`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type FakeReply =
  /**
   * `delayMs`: answers only after that long (a slow vendor). `chunks`: the body written piece by piece,
   * `chunkGapMs` apart (a stream of events), instead of `body`.
   */
  | {
      status: number;
      headers?: Record<string, string>;
      json?: unknown;
      body?: string | Buffer;
      delayMs?: number;
      chunks?: (string | Buffer)[];
      chunkGapMs?: number;
    }
  /** Never answers (the client's timeout or abort must end the call). */
  | { hang: true }
  /** Closes the connection without an answer. */
  | { reset: true };

export type FakeHandler = (request: RecordedRequest, url: URL) => FakeReply | Promise<FakeReply>;

export interface FakeHttpServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Queues `reply` for the next request whose method and path match; used once. */
  replyOnce(method: string, path: RegExp, reply: FakeReply): void;
  close(): Promise<void>;
}

export interface FakeHttpOptions {
  /** Takes HTTP upgrade requests (a WebSocket endpoint beside the routes). */
  upgrade?: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export async function startFakeHttpServer(
  handler: FakeHandler,
  options: FakeHttpOptions = {},
): Promise<FakeHttpServer> {
  const requests: RecordedRequest[] = [];
  const queued: { method: string; path: RegExp; reply: FakeReply }[] = [];
  const sockets = new Set<Socket>();
  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks),
    };
    requests.push(recorded);
    const url = new URL(recorded.path, 'http://127.0.0.1');
    const index = queued.findIndex((entry) => entry.method === recorded.method && entry.path.test(url.pathname));
    let reply: FakeReply;
    try {
      reply = index >= 0 ? queued.splice(index, 1)[0]!.reply : await handler(recorded, url);
    } catch (error) {
      reply = { status: 500, json: { error: String(error) } };
    }
    if ('hang' in reply) return;
    if ('reset' in reply) {
      req.socket.destroy();
      return;
    }
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    const headers: Record<string, string> = { ...reply.headers };
    let body: string | Buffer = reply.body ?? '';
    if (reply.json !== undefined) {
      body = JSON.stringify(reply.json);
      headers['content-type'] ??= 'application/json';
    }
    res.writeHead(reply.status, headers);
    if (reply.chunks) {
      for (const chunk of reply.chunks) {
        if (res.destroyed) return;
        res.write(chunk);
        await new Promise((resolve) => setTimeout(resolve, reply.chunkGapMs ?? 0));
      }
    }
    res.end(body);
  };
  const server: Server = createServer((req, res) => {
    // `void`: a reply that cannot be written ends the connection, as a vendor's broken socket would.
    void answer(req, res).catch((error: unknown) => res.destroy(error as Error));
  });
  if (options.upgrade) server.on('upgrade', options.upgrade);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    requests,
    replyOnce(method, path, reply) {
      queued.push({ method, path, reply });
    },
    // Tracked: a test file that leaves a fake running fails (vitest.leak-check.ts).
    close: trackResource(
      `fake HTTP server ${url}`,
      () =>
        new Promise<void>((resolve) => {
          // Hanging replies keep sockets open; a fake must never outlive its test.
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    ),
  };
}

const pngs = new Map<string, Promise<Buffer>>();
/** A real PNG of the given size, as a vendor would return. */
export function fakePng(width = 64, height = 64): Promise<Buffer> {
  const key = `${width}x${height}`;
  let png = pngs.get(key);
  if (!png) {
    png = sharp({ create: { width, height, channels: 3, background: { r: 40, g: 120, b: 200 } } })
      .png()
      .toBuffer();
    pngs.set(key, png);
  }
  return png;
}

/** Waits until `predicate` holds, polling; the timeout is only a safety net. */
export async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
