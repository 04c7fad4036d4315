import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

const jobCount = () => h.db.job.count();

describe('/trpc refuses what is not JSON before tRPC sees it, in tRPC error shape', () => {
  it('a multipart body is 415 UNSUPPORTED_MEDIA_TYPE, not a 500 (tRPC could not serialise the raw stream)', async () => {
    const before = await jobCount();
    const response = await h.inject({
      method: 'POST',
      url: '/trpc/jobs.create',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      payload: '--x\r\ncontent-disposition: form-data; name="prompt"\r\n\r\na cat\r\n--x--\r\n',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({
      error: { code: -32015, data: { code: 'UNSUPPORTED_MEDIA_TYPE', httpStatus: 415 } },
    });
    expect(await jobCount()).toBe(before);
  });

  it('another content type (text/plain, octet-stream) is 415 in tRPC shape, not Fastify shape', async () => {
    for (const type of ['text/plain', 'application/octet-stream']) {
      const response = await h.inject({
        method: 'POST',
        url: '/trpc/jobs.create',
        headers: { 'content-type': type },
        payload: '{"prompt":"a cat"}',
      });
      expect(response.statusCode).toBe(415);
      expect(response.json().error.data).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE', httpStatus: 415 });
    }
  });

  it('a body over the limit is 413 in tRPC shape', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/trpc/jobs.create',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ prompt: 'x'.repeat(1_100_000) }),
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.data).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', httpStatus: 413 });
  });

  it('JSON (with a charset) still reaches the procedure', async () => {
    const response = await h.inject({
      method: 'POST',
      url: '/trpc/jobs.create',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      payload: JSON.stringify({ prompt: 'a cat', provider: 'mock' }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().result.data.status).toBe('queued');
  });
});
