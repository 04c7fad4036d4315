// Leaks on purpose: starts a fake vendor server and never closes it.
import { expect, it } from 'vitest';
import { startFakeHttpServer } from '../../src/testing/fake-http.js';

it('starts a fake server and forgets it', async () => {
  const server = await startFakeHttpServer(() => ({ status: 200, json: { ok: true } }));
  expect((await fetch(server.url)).status).toBe(200);
});
