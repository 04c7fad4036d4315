import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from './server.js';
import { makeHarness, type Harness } from '../test/harness.js';
import { callTrpc, sessionCookieOf } from '../test/http.js';

let h: Harness;
const webDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-web-'));
beforeAll(async () => {
  h = await makeHarness();
  writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>Darkroom</title><div id="root"></div>');
});
afterAll(async () => {
  await h.close();
  rmSync(webDir, { recursive: true, force: true });
});

describe('hardening', () => {
  it('serves the web app with a CSP and the other security headers', async () => {
    const server = await buildServer({
      db: h.db,
      databaseUrl: h.url,
      storage: h.storage,
      settings: h.settings,
      webDistDir: webDir,
      logLevel: 'silent',
    });
    try {
      const page = await server.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
      const deepLink = await server.inject({ method: 'GET', url: '/history', headers: { accept: 'text/html' } });
      for (const response of [page, deepLink]) {
        expect(response.statusCode).toBe(200);
        const csp = String(response.headers['content-security-policy']);
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain("object-src 'none'");
        expect(response.headers).toMatchObject({
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'SAMEORIGIN',
          'referrer-policy': 'no-referrer',
        });
      }
    } finally {
      await server.close();
    }
  });

  it('refuses a body over 1 MiB with 413, creating nothing', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/trpc/jobs.create',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ prompt: 'big', metadata: { blob: 'x'.repeat(1024 * 1024) } }),
    });
    expect([response.statusCode, response.json().error.data.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    expect(await h.db.job.count()).toBe(0);
  });

  it('never writes passwords, session tokens or API keys to its logs', async () => {
    let logs = '';
    const logStream = new Writable({ write: (chunk, _encoding, done) => ((logs += String(chunk)), done()) });
    const server = await buildServer({
      db: h.db,
      databaseUrl: h.url,
      storage: h.storage,
      settings: h.settings,
      webDistDir: webDir,
      logLevel: 'trace',
      logStream,
    });
    try {
      const password = 'a very memorable password';
      const signUp = await callTrpc(server, 'auth.signUp', { email: 'logged@example.com', password });
      const cookie = sessionCookieOf(signUp).split(';')[0]!;
      const key = (await callTrpc(server, 'apiKeys.create', { name: 'log test' }, { headers: { cookie } })).data as {
        key: string;
      };
      await callTrpc(server, 'jobs.list', {}, { kind: 'query', headers: { authorization: `Bearer ${key.key}` } });
      await callTrpc(server, 'auth.logIn', { email: 'logged@example.com', password: `${password}!` });
      await server.inject({
        method: 'GET',
        url: '/images/not-a-uuid',
        headers: { cookie, authorization: `Bearer ${key.key}` },
      });

      expect(logs).toContain('incoming request');
      for (const secret of [password, cookie.split('=')[1]!, key.key]) expect(logs).not.toContain(secret);
    } finally {
      await server.close();
    }
  });
});
