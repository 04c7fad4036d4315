/**
 * How the built web app travels (issue 19, point 8; audit defect 15): the smallest encoding the browser
 * accepts, from the .br and .gz files the build wrote, hashed files cached for a year, the page itself
 * checked every time, and every route of the app answered with the page (a deep link survives reload).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from './server.js';
import { makeHarness, type Harness } from '../test/harness.js';

let h: Harness;
let server: Awaited<ReturnType<typeof buildServer>>;
const webDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-web-delivery-'));
const script = `console.log(${JSON.stringify('darkroom '.repeat(400))});`;
beforeAll(async () => {
  h = await makeHarness();
  mkdirSync(path.join(webDir, 'assets'));
  writeFileSync(path.join(webDir, 'index.html'), '<!doctype html><title>Darkroom</title><div id="root"></div>');
  writeFileSync(path.join(webDir, 'assets/index-AbC123.js'), script);
  writeFileSync(path.join(webDir, 'assets/index-AbC123.js.br'), brotliCompressSync(script));
  writeFileSync(path.join(webDir, 'assets/index-AbC123.js.gz'), gzipSync(script));
  server = await buildServer({
    db: h.db,
    databaseUrl: h.url,
    storage: h.storage,
    settings: h.settings,
    webDistDir: webDir,
    logLevel: 'silent',
  });
});
afterAll(async () => {
  await server?.close();
  await h.close();
  rmSync(webDir, { recursive: true, force: true });
});

describe('web app delivery', () => {
  it('sends a hashed script brotli-compressed, cached for a year as immutable', async () => {
    const response = await server.inject({
      method: 'GET',
      url: '/assets/index-AbC123.js',
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-encoding']).toBe('br');
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(response.headers['vary']).toMatch(/accept-encoding/i);
    expect(String(response.headers['content-type'])).toMatch(/javascript/);
    expect(brotliDecompressSync(response.rawPayload).toString()).toBe(script);
    expect(response.rawPayload.length).toBeLessThan(script.length / 4);
  });

  it('falls back to gzip, then to the plain file, as the browser accepts', async () => {
    const gzip = await server.inject({
      method: 'GET',
      url: '/assets/index-AbC123.js',
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(gzip.headers['content-encoding']).toBe('gzip');
    const plain = await server.inject({ method: 'GET', url: '/assets/index-AbC123.js', headers: {} });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(script);
  });

  it('has the page checked on every visit, at / and at every route of the app', async () => {
    for (const url of ['/', '/history', '/jobs/0193c8a2-0000-7000-8000-000000000000', '/gallery', '/usage', '/admin']) {
      const response = await server.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(response.statusCode, url).toBe(200);
      expect(response.body, url).toContain('<div id="root">');
      expect(response.headers['cache-control'], url).toBe('no-cache');
    }
  });
});
