import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError, IMAGE_RETRY } from '@darkroom/core';
import { imageRetryPolicy, loadWorkerConfig, WORKER_ENV_VARIABLES } from './env.js';
import { makeProviderRegistry, providersConfigOf } from './providers.js';
import { BUILTIN_IMG2IMG } from '@darkroom/providers';

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
    ['a1111', 'A1111_URLS'],
    ['comfyui', 'COMFYUI_URLS'],
  ])('refuses to start with %s enabled and no key, naming %s', (provider, variable) => {
    expect(failureOf({ PROVIDERS_ENABLED: `local,${provider}` })).toContain(
      `${variable}: ${variable} is required because PROVIDERS_ENABLED includes ${provider}`,
    );
  });

  it('reads engine URL lists, and refuses a URL that is not http(s), naming it', () => {
    const config = loadWorkerConfig({
      PROVIDERS_ENABLED: 'local,a1111',
      A1111_URLS: ' http://gpu1:7860/, https://gpu2.lan:7860 ,http://gpu1:7860',
      A1111_AUTH: 'user:pass',
    });
    expect(config.A1111_URLS).toEqual(['http://gpu1:7860', 'https://gpu2.lan:7860']);
    expect(inspect(config.A1111_AUTH)).not.toContain('pass');
    expect(makeProviderRegistry(config).providerFor('a1111').name).toBe('a1111');

    expect(failureOf({ A1111_URLS: 'http://gpu1:7860,ftp://gpu2' })).toContain('"ftp://gpu2" is not an http(s) URL');
    expect(failureOf({ A1111_URLS: 'gpu1:7860' })).toContain('A1111_URLS');
  });

  it("reads the vendors' input options (kind models, input fields, Stability modes) into the adapters, refusing bad ones by name", () => {
    const config = loadWorkerConfig({
      PROVIDERS_ENABLED: 'local,replicate,fal,stability',
      REPLICATE_API_TOKEN: 'r8_config_test_0123456789',
      FAL_KEY: 'fal-config:0123456789',
      STABILITY_API_KEY: KEY,
      REPLICATE_KIND_MODELS: 'inpaint=acme/fill, upscale=acme/esrgan',
      REPLICATE_INPUT_FIELDS: JSON.stringify({ 'acme/fill': { image: 'input_image', mask: 'mask_image' } }),
      FAL_KIND_MODELS: 'image-to-image=fal-ai/acme/restyle',
      STABILITY_INPAINT_MODE: 'erase',
      STABILITY_UPSCALER: 'conservative',
    });
    const providers = providersConfigOf(config);
    expect(providers.replicate).toMatchObject({
      kindModels: { inpaint: 'acme/fill', upscale: 'acme/esrgan' },
      inputFields: { 'acme/fill': { image: 'input_image', mask: 'mask_image' } },
    });
    expect(providers.fal).toMatchObject({ kindModels: { 'image-to-image': 'fal-ai/acme/restyle' }, inputFields: {} });
    expect(providers.stability).toMatchObject({ inpaintMode: 'erase', upscaler: 'conservative' });

    expect(failureOf({ REPLICATE_KIND_MODELS: 'colorize=acme/x' })).toMatch(
      /REPLICATE_KIND_MODELS.*"colorize=acme\/x" is not kind=owner\/name/s,
    );
    // The kinds come from core's JobKind; text-to-image has no kind model, and the message lists the rest.
    expect(failureOf({ FAL_KIND_MODELS: 'text-to-image=acme/x' })).toMatch(
      /FAL_KIND_MODELS.*"text-to-image=acme\/x" is not kind=owner\/name \(kinds: image-to-image, inpaint, reference, upscale\)/s,
    );
    expect(failureOf({ FAL_INPUT_FIELDS: '{"acme/x": {"image": "in put"}}' })).toContain('FAL_INPUT_FIELDS');
    expect(failureOf({ REPLICATE_INPUT_FIELDS: '{not json' })).toMatch(/REPLICATE_INPUT_FIELDS.*is not JSON/s);
    expect(failureOf({ REPLICATE_INPUT_FIELDS: '{"acme/x": {"imgae": "image"}}' })).toContain('REPLICATE_INPUT_FIELDS');
    expect(failureOf({ STABILITY_UPSCALER: 'creative' })).toContain('STABILITY_UPSCALER');
  });

  it('refuses to start with a ComfyUI template that lacks what text-to-image needs, naming the file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'worker-comfy-'));
    writeFileSync(path.join(dir, 'broken.json'), JSON.stringify({ '9': { class_type: 'SaveImage', inputs: {} } }));
    const config = loadWorkerConfig({
      PROVIDERS_ENABLED: 'local,comfyui',
      COMFYUI_URLS: 'http://gpu1:8188',
      COMFYUI_WORKFLOWS_DIR: dir,
    });

    expect(() => makeProviderRegistry(config)).toThrow(
      `ComfyUI workflow ${path.join(dir, 'broken.json')}: a template serving text-to-image must use {{prompt}}`,
    );
  });

  it('refuses to start with an inpaint template that has no {{mask}}, naming the file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'worker-comfy-'));
    writeFileSync(path.join(dir, 'fill.json'), JSON.stringify({ kinds: ['inpaint'], workflow: BUILTIN_IMG2IMG }));
    const config = loadWorkerConfig({
      PROVIDERS_ENABLED: 'local,comfyui',
      COMFYUI_URLS: 'http://gpu1:8188',
      COMFYUI_WORKFLOWS_DIR: dir,
    });

    expect(() => makeProviderRegistry(config)).toThrow(
      `ComfyUI workflow ${path.join(dir, 'fill.json')}: a template serving inpaint must use {{mask}}`,
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

  it("the image retry policy defaults to core's IMAGE_RETRY and takes IMAGE_MAX_ATTEMPTS, IMAGE_RETRY_BASE_MS, IMAGE_RETRY_CAP_MS", () => {
    expect(imageRetryPolicy(loadWorkerConfig({}))).toEqual(IMAGE_RETRY);
    expect(
      imageRetryPolicy(
        loadWorkerConfig({ IMAGE_MAX_ATTEMPTS: '1', IMAGE_RETRY_BASE_MS: '0', IMAGE_RETRY_CAP_MS: '250' }),
      ),
    ).toEqual({ ...IMAGE_RETRY, maxAttempts: 1, baseMs: 0, capMs: 250 });
  });

  it.each([
    [{ IMAGE_MAX_ATTEMPTS: '0' }, 'IMAGE_MAX_ATTEMPTS', 'must be at least 1 (1 = no retry)'],
    [{ IMAGE_MAX_ATTEMPTS: '11' }, 'IMAGE_MAX_ATTEMPTS', 'must be at most 10 (each try may be paid for)'],
    [{ IMAGE_MAX_ATTEMPTS: '2.5' }, 'IMAGE_MAX_ATTEMPTS', 'Invalid input: expected int, received number'],
    [{ IMAGE_MAX_ATTEMPTS: 'many' }, 'IMAGE_MAX_ATTEMPTS', 'Invalid input: expected number, received NaN'],
    [{ IMAGE_RETRY_BASE_MS: '-1' }, 'IMAGE_RETRY_BASE_MS', 'must be at least 0 ms'],
    [{ IMAGE_RETRY_BASE_MS: '60001', IMAGE_RETRY_CAP_MS: '600000' }, 'IMAGE_RETRY_BASE_MS', 'must be at most 60000 ms'],
    [{ IMAGE_RETRY_CAP_MS: '600001' }, 'IMAGE_RETRY_CAP_MS', 'must be at most 600000 ms'],
    [
      { IMAGE_RETRY_BASE_MS: '2000', IMAGE_RETRY_CAP_MS: '1000' },
      'IMAGE_RETRY_CAP_MS',
      'must be at least IMAGE_RETRY_BASE_MS (2000 ms)',
    ],
  ])('refuses %o with a ConfigError naming %s and its limit', (env, variable, message) => {
    let error: unknown;
    try {
      loadWorkerConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([{ variable, message }]);
    expect((error as ConfigError).message).toBe(`invalid worker configuration:\n  ${variable}: ${message}`);
  });

  it('.env.example lists every variable the worker reads', () => {
    const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    const listed = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]));

    expect(WORKER_ENV_VARIABLES.filter((name) => !listed.has(name))).toEqual([]);
  });

  it('reads the OTEL_* variables for traces and refuses a bad endpoint, naming it', () => {
    expect(loadWorkerConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).OTEL_EXPORTER_OTLP_ENDPOINT).toBe(
      'http://collector:4318',
    );
    expect(failureOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector' })).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
