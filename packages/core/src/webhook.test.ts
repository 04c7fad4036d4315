import { describe, expect, it } from 'vitest';
import { isPublicAddress, JobRequest, resolveWebhookTarget, webhookTargetProblem } from './index.js';

describe('webhook targets', () => {
  it.each([
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['172.20.0.1', false],
    ['192.168.1.1', false],
    ['169.254.169.254', false],
    ['100.64.0.1', false],
    ['0.0.0.0', false],
    ['224.0.0.1', false],
    ['::1', false],
    ['::', false],
    ['fd00::1', false],
    ['fe80::1', false],
    ['::ffff:127.0.0.1', false],
    ['93.184.216.34', true],
    ['8.8.8.8', true],
    ['2606:4700::1111', true],
  ])('%s is public: %s', (ip, expected) => {
    expect(isPublicAddress(ip)).toBe(expected);
  });

  it('refuses a host that resolves to any private address, unless private targets are allowed', async () => {
    const lookup = async (host: string) => (host === 'sneaky.example' ? ['93.184.216.34', '10.0.0.5'] : ['93.184.216.34']);

    expect(await webhookTargetProblem('https://sneaky.example/hook', { lookup, allowPrivate: false })).toMatch(/10\.0\.0\.5/);
    expect(await webhookTargetProblem('https://fine.example/hook', { lookup, allowPrivate: false })).toBeNull();
    expect(await webhookTargetProblem('http://127.0.0.1:9/hook', { lookup: async () => ['127.0.0.1'], allowPrivate: true })).toBeNull();
  });

  it('resolveWebhookTarget answers the one vetted address to connect to, resolving the name once', async () => {
    const asked: string[] = [];
    const lookup = async (host: string) => {
      asked.push(host);
      return asked.length === 1 ? ['93.184.216.34', '93.184.216.35'] : ['10.0.0.5'];
    };

    expect(await resolveWebhookTarget('https://rebinding.example:8443/hook', { lookup, allowPrivate: false })).toEqual({ address: '93.184.216.34' });
    expect(asked).toEqual(['rebinding.example']);
    expect(await resolveWebhookTarget('https://rebinding.example/hook', { lookup, allowPrivate: false })).toEqual({
      problem: 'webhookUrl must point to a public address; rebinding.example is 10.0.0.5',
    });
    expect(await resolveWebhookTarget('http://[::1]:9/hook', { lookup: async (host) => [host], allowPrivate: true })).toEqual({ address: '::1' });
    expect((await resolveWebhookTarget('https://nowhere.test/', { lookup: async () => Promise.reject(new Error('ENOTFOUND')), allowPrivate: true })).problem).toMatch(
      /does not resolve \(ENOTFOUND\)/,
    );
  });

  it('JobRequest accepts an http(s) webhookUrl and refuses other schemes and credentials', () => {
    expect(JobRequest.safeParse({ prompt: 'x', webhookUrl: 'https://example.com/hook' }).success).toBe(true);
    for (const webhookUrl of ['ftp://example.com/hook', 'not a url', 'https://user:pw@example.com/hook', `https://example.com/${'a'.repeat(2100)}`]) {
      const result = JobRequest.safeParse({ prompt: 'x', webhookUrl });
      expect(result.success, webhookUrl).toBe(false);
      expect(result.error!.issues[0]!.path).toEqual(['webhookUrl']);
    }
  });
});
