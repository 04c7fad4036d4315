import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadApiConfig, accountSettingsFrom } from '../env.js';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  // A fresh install: nobody has signed up, so the first sign-up would be the admin.
  h = await makeHarness();
  await h.db.user.deleteMany({});
});
afterAll(() => h.close());

describe('the Host allow-list (DNS rebinding)', () => {
  it('refuses a request addressed to a name it is not served as, with 421, before any route: no first admin taken', async () => {
    const server = await h.server();
    for (const host of [
      'attacker.example',
      'attacker.example:3000',
      '127.0.0.1.nip.io',
      'localhost.attacker.example',
      '10.0.0.5:3000',
    ]) {
      const signUp = await server.inject({
        method: 'POST',
        url: '/trpc/auth.signUp',
        headers: { host, 'content-type': 'application/json' },
        payload: JSON.stringify({ email: 'rebound@example.com', password: 'a rebinding page' }),
      });
      expect(signUp.statusCode, host).toBe(421);
      expect(signUp.json().error.code, host).toBe('MISDIRECTED_REQUEST');
      const page = await server.inject({ method: 'GET', url: '/', headers: { host, accept: 'text/html' } });
      expect(page.statusCode, host).toBe(421);
    }
    expect(await h.db.user.count()).toBe(0);
  });

  it('answers to the names it is served as, whatever their spelling', async () => {
    const server = await h.server();
    for (const host of [
      'localhost',
      'localhost:3000',
      'LOCALHOST.:3000',
      '127.0.0.1:3000',
      '[::1]:3000',
      'app.localhost:3000',
    ]) {
      expect((await server.inject({ method: 'GET', url: '/healthz', headers: { host } })).statusCode, host).toBe(200);
    }
  });

  it('defaults to the listen address and localhost names, or takes PUBLIC_URL and ALLOWED_HOSTS', () => {
    expect(accountSettingsFrom(loadApiConfig({ HOST: '192.0.2.4' })).allowedHosts).toEqual(
      expect.arrayContaining(['localhost', '127.0.0.1', '::1', '192.0.2.4']),
    );
    expect(accountSettingsFrom(loadApiConfig({ PUBLIC_URL: 'https://Darkroom.Example.com/' })).allowedHosts).toEqual([
      'darkroom.example.com',
    ]);
    expect(
      accountSettingsFrom(loadApiConfig({ ALLOWED_HOSTS: 'a.example, .b.example', PUBLIC_URL: 'https://c.example' }))
        .allowedHosts,
    ).toEqual(['a.example', '.b.example', 'c.example']);
    expect(accountSettingsFrom(loadApiConfig({ ALLOWED_HOSTS: '*' })).allowedHosts).toBe('any');
  });
});
