import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig, WORKER_ENV_VARIABLES } from './env.js';
import { makeProviderRegistry } from './providers.js';

const KEY = 'sk-config-test-0123456789';

function failureOf(env: Record<string, string>): string {
  try {
    loadWorkerConfig(env);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('worker provider configuration', () => {
  it('defaults to the offline providers', () => {
    const config = loadWorkerConfig({});
    expect([config.PROVIDERS_ENABLED, config.PROVIDER_FALLBACK]).toEqual([['local', 'mock'], []]);
  });

  it.each([
    ['openai', 'OPENAI_API_KEY'],
    ['stability', 'STABILITY_API_KEY'],
    ['replicate', 'REPLICATE_API_TOKEN'],
    ['fal', 'FAL_KEY'],
  ])('refuses to start with %s enabled and no key, naming %s', (provider, variable) => {
    expect(failureOf({ PROVIDERS_ENABLED: `local,${provider}` })).toContain(
      `${variable}: ${variable} is required because PROVIDERS_ENABLED includes ${provider}`,
    );
  });

  it('refuses an unknown provider, and a fallback that is not enabled', () => {
    expect(failureOf({ PROVIDERS_ENABLED: 'local,midjourney' })).toMatch(/PROVIDERS_ENABLED/);
    expect(failureOf({ PROVIDERS_ENABLED: 'local', PROVIDER_FALLBACK: 'mock' })).toContain(
      'PROVIDER_FALLBACK: mock is not in PROVIDERS_ENABLED',
    );
  });

  it('never shows an API key: not in a refusal, not in the config when printed or serialised', () => {
    const refusal = failureOf({
      PROVIDERS_ENABLED: 'openai',
      OPENAI_API_KEY: KEY,
      WORKER_CONCURRENCY: 'lots',
      OPENAI_BASE_URL: 'not a url',
    });
    const config = loadWorkerConfig({ PROVIDERS_ENABLED: 'local,openai', OPENAI_API_KEY: KEY });

    expect(refusal).toMatch(/WORKER_CONCURRENCY[\s\S]*OPENAI_BASE_URL/);
    expect(refusal).not.toContain(KEY);
    expect(JSON.stringify(config)).not.toContain(KEY);
    expect(inspect(config, { depth: 5 })).not.toContain(KEY);
    expect(config.OPENAI_API_KEY?.reveal()).toBe(KEY);
  });

  it('builds only the enabled adapters, and none stands in for a disabled provider', () => {
    const registry = makeProviderRegistry(
      loadWorkerConfig({
        PROVIDERS_ENABLED: 'local,openai,replicate,fal,stability',
        PROVIDER_FALLBACK: 'fal,stability',
        OPENAI_API_KEY: KEY,
        OPENAI_BASE_URL: 'http://127.0.0.1:9/v1/',
        REPLICATE_API_TOKEN: 'r8_x',
        REPLICATE_MODEL: 'deployment:acme/flux',
        FAL_KEY: 'fal-x',
        STABILITY_API_KEY: 'sk-x',
      }),
    );

    expect([registry.providerFor('openai').name, registry.providerFor('fal').name]).toEqual(['openai', 'fal']);
    expect(() => registry.providerFor('mock')).toThrow('provider mock is not enabled on this worker');
    expect([registry.isEnabled('mock'), registry.isEnabled('stability')]).toEqual([false, true]);
    expect(registry.fallbackOrder).toEqual(['fal', 'stability']);
  });

  it('refuses S3 storage without a bucket, naming the variable', () => {
    expect(failureOf({ STORAGE_DRIVER: 's3' })).toContain(
      'S3_BUCKET: S3_BUCKET is required because STORAGE_DRIVER is s3',
    );
  });

  it('.env.example lists every variable the worker reads', () => {
    const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    const listed = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]));

    expect(WORKER_ENV_VARIABLES.filter((name) => !listed.has(name))).toEqual([]);
  });
});
