import { describe, expect, it } from 'vitest';
import { CreditGrant, parsePriceTable, pricePerImage } from './credits.js';

describe('prices', () => {
  it('prefers provider/quality, then provider, then the fallback', () => {
    const table = parsePriceTable('local:1, openai:4, openai/hd:8');
    expect(table).toEqual({ local: 1, openai: 4, 'openai/hd': 8 });
    expect(pricePerImage(table, { provider: 'openai', quality: 'hd' })).toBe(8);
    expect(pricePerImage(table, { provider: 'openai', quality: 'standard' })).toBe(4);
    expect(pricePerImage(table, { provider: 'fal' }, 3)).toBe(3);
  });

  it('prices a model over a quality over the provider', () => {
    const table = parsePriceTable(
      'comfyui:1, comfyui/sdxl-base:2, comfyui/sdxl/base_1.0.safetensors:3, comfyui/high:5',
    );
    expect(table['comfyui/sdxl/base_1.0.safetensors']).toBe(3);
    expect(pricePerImage(table, { provider: 'comfyui', model: 'sdxl-base', quality: 'high' })).toBe(2);
    expect(pricePerImage(table, { provider: 'comfyui', model: 'sdxl/base_1.0.safetensors' })).toBe(3);
    expect(pricePerImage(table, { provider: 'comfyui', model: 'other', quality: 'high' })).toBe(5);
    expect(pricePerImage(table, { provider: 'comfyui', model: 'other' })).toBe(1);
  });

  it('prefers provider/kind over provider/quality for a job with inputs', () => {
    const table = parsePriceTable('openai:4, openai/high:8, openai/image-to-image:6, local/upscale:1, local:2');
    expect(pricePerImage(table, { provider: 'openai', quality: 'high', kind: 'image-to-image' })).toBe(6);
    expect(pricePerImage(table, { provider: 'openai', quality: 'high', kind: 'text-to-image' })).toBe(8);
    expect(pricePerImage(table, { provider: 'local', kind: 'upscale' })).toBe(1);
    expect(pricePerImage(table, { provider: 'local', kind: 'inpaint' })).toBe(2);
  });

  it('names a malformed price', () => {
    expect(() => parsePriceTable('local:1,openai=4')).toThrow(
      '"openai=4" is not provider[/model, /kind or /quality]:credits',
    );
    expect(() => parsePriceTable('comfyui/a:b:2')).toThrow('"comfyui/a:b:2" is not provider');
    expect(() => parsePriceTable('local:-1')).toThrow(/local:-1/);
  });
});

describe('CreditGrant', () => {
  it('refuses zero, fractions and amounts beyond a million either way', () => {
    for (const amount of [0, 1.5, 1_000_001, -1_000_001]) {
      expect(CreditGrant.safeParse({ email: 'a@b.co', amount }).success).toBe(false);
    }
    expect(CreditGrant.parse({ email: ' A@B.co ', amount: -5 })).toEqual({ email: 'a@b.co', amount: -5 });
  });
});
