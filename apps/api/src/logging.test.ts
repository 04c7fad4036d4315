import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from './server.js';
import { makeHarness, type Harness } from '../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

describe('structured logs', () => {
  it("are JSON lines carrying the request id, the caller's user id and the job id", async () => {
    const lines: Record<string, unknown>[] = [];
    const logStream = new Writable({
      write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()),
    });
    const server = await buildServer({
      db: h.db,
      databaseUrl: h.url,
      storage: h.storage,
      settings: h.settings,
      webDistDir: path.join(h.storageDir, 'none'),
      logLevel: 'info',
      logStream,
    });
    try {
      const response = await server.inject({
        method: 'POST',
        url: '/trpc/jobs.create',
        headers: { ...h.headers, 'content-type': 'application/json' },
        payload: JSON.stringify({ prompt: 'logged with context' }),
      });
      expect(response.statusCode).toBe(200);
      const jobId = (response.json() as { result: { data: { id: string } } }).result.data.id;

      const accepted = lines.find((line) => line.msg === 'job accepted');
      expect(accepted).toMatchObject({ jobId, userId: h.user.id, reqId: expect.any(String) });
      // The request's closing line says who asked, under the same request id.
      const completed = lines.find((line) => line.msg === 'request completed' && line.reqId === accepted!.reqId);
      expect(completed).toMatchObject({ userId: h.user.id, res: { statusCode: 200 } });
    } finally {
      await server.close();
    }
  });
});
