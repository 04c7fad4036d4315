// Opens what the leaking fixtures open, and closes it: this file must pass.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, expect, it } from 'vitest';
import { startFakeHttpServer, type FakeHttpServer } from '../../src/testing/fake-http.js';

let server: FakeHttpServer;
afterAll(() => server.close());

it('starts a fake server that afterAll closes', async () => {
  server = await startFakeHttpServer(() => ({ status: 200, json: { ok: true } }));
  expect((await fetch(server.url)).status).toBe(200);
});

it('starts a child process and waits for its end', async () => {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', process.env.LEAK_MARKER!], {
    stdio: 'ignore',
  });
  child.kill();
  await once(child, 'exit');
});

it('closes a server twice without harm', async () => {
  const other = await startFakeHttpServer(() => ({ status: 204 }));
  await other.close();
  await other.close();
});
