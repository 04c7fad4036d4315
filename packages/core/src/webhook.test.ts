import { describe, expect, it } from 'vitest';
import { JobRequest } from './index.js';

describe('webhook targets', () => {
  it('JobRequest accepts an http(s) webhookUrl and refuses other schemes and credentials', () => {
    expect(JobRequest.safeParse({ prompt: 'x', webhookUrl: 'https://example.com/hook' }).success).toBe(true);
    for (const webhookUrl of [
      'ftp://example.com/hook',
      'not a url',
      'https://user:pw@example.com/hook',
      `https://example.com/${'a'.repeat(2100)}`,
    ]) {
      const result = JobRequest.safeParse({ prompt: 'x', webhookUrl });
      expect(result.success, webhookUrl).toBe(false);
      expect(result.error!.issues[0]!.path).toEqual(['webhookUrl']);
    }
  });
});
