import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig, Secret } from './config.js';

describe('parseConfig', () => {
  const Env = z.object({ PORT: z.coerce.number().int().max(65535).default(3000), MODE: z.enum(['a', 'b']) });

  it('applies defaults and coercion', () => {
    expect(parseConfig('test', Env, { MODE: 'a' })).toEqual({ PORT: 3000, MODE: 'a' });
  });

  it('names every bad variable in one error', () => {
    expect(() => parseConfig('test', Env, { PORT: '99999', MODE: 'c' })).toThrow(
      /invalid test configuration:\n {2}PORT: .*\n {2}MODE: /,
    );
  });
});

describe('Secret', () => {
  it('shows its value only through reveal()', () => {
    const secret = new Secret('sk-live-123456');
    const holder = { key: secret };

    expect(secret.reveal()).toBe('sk-live-123456');
    expect(JSON.stringify(holder)).toBe('{"key":"[redacted]"}');
    expect(`${secret}`).toBe('[redacted]');
    expect(String(Object.values(holder))).not.toContain('sk-live');
  });
});
