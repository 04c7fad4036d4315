import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOutboundGuard, OutboundTimeout } from './outbound.js';

const postPinned = (
  url: URL,
  address: string,
  request: { headers: Record<string, string>; body: string; timeoutMs: number },
) => makeOutboundGuard().post(url.href, address, request);

// A receiver on 127.0.0.1. The URLs below name hosts under `.test`, which never resolve (RFC 2606):
// a request that reaches the receiver went to the pinned address, not to a fresh DNS answer.
let receiver: http.Server;
let port: number;
const seen: { host: string | undefined; path: string | undefined; body: string; length: string | undefined }[] = [];

beforeAll(async () => {
  receiver = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      seen.push({ host: request.headers.host, path: request.url, body, length: request.headers['content-length'] });
      if (request.url === '/silent') return; // never answers
      response
        .writeHead(
          request.url === '/moved' ? 302 : 204,
          request.url === '/moved' ? { location: 'http://127.0.0.1:1/' } : {},
        )
        .end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
});
afterAll(async () => {
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

describe("the outbound guard's post", () => {
  it('connects to the pinned address whatever the host name resolves to, and names the host in the request', async () => {
    const status = await postPinned(new URL(`http://hooks.rebind.test:${port}/hook?x=1`), '127.0.0.1', {
      headers: { 'content-type': 'application/json' },
      body: '{"ünïcode":true}',
      timeoutMs: 5000,
    });

    expect(status).toBe(204);
    expect(seen.at(-1)).toEqual({
      host: `hooks.rebind.test:${port}`,
      path: '/hook?x=1',
      body: '{"ünïcode":true}',
      length: String(Buffer.byteLength('{"ünïcode":true}')),
    });
  });

  it('answers a redirect as its status without following it', async () => {
    const before = seen.length;
    expect(
      await postPinned(new URL(`http://hooks.rebind.test:${port}/moved`), '127.0.0.1', {
        headers: {},
        body: '{}',
        timeoutMs: 5000,
      }),
    ).toBe(302);
    expect(seen.length).toBe(before + 1);
  });

  it('gives up on a receiver that does not answer within the timeout, and on one that refuses the connection', async () => {
    await expect(
      postPinned(new URL(`http://hooks.rebind.test:${port}/silent`), '127.0.0.1', {
        headers: {},
        body: '{}',
        timeoutMs: 200,
      }),
    ).rejects.toBeInstanceOf(OutboundTimeout);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      postPinned(new URL(`http://hooks.rebind.test:${closedPort}/`), '127.0.0.1', {
        headers: {},
        body: '{}',
        timeoutMs: 5000,
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});
