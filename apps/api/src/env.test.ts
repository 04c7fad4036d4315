import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { accountSettingsFrom, API_ENV_VARIABLES, loadApiConfig } from './env.js';

describe('API configuration', () => {
  it('.env.example lists every variable the API reads', () => {
    const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    const listed = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]));

    expect(API_ENV_VARIABLES.filter((name) => !listed.has(name))).toEqual([]);
  });

  it('refuses a short IMAGE_URL_SECRET and S3 without a bucket, without repeating the secrets', () => {
    let refusal = '';
    try {
      loadApiConfig({
        IMAGE_URL_SECRET: 'short-secret-xyz',
        STORAGE_DRIVER: 's3',
        S3_SECRET_ACCESS_KEY: 'sss-top-secret',
        S3_ACCESS_KEY_ID: 'AKIA',
      });
    } catch (error) {
      refusal = (error as Error).message;
    }

    expect(refusal).toMatch(/IMAGE_URL_SECRET: use at least 32 random characters/);
    expect(refusal).toMatch(/S3_BUCKET: S3_BUCKET is required because STORAGE_DRIVER is s3/);
    expect(refusal).not.toContain('short-secret-xyz');
    expect(refusal).not.toContain('sss-top-secret');
  });

  it('keeps the image link secret out of the parsed configuration when printed', () => {
    const secret = 'x'.repeat(16) + 'y'.repeat(16) + '-secret';
    const config = loadApiConfig({ IMAGE_URL_SECRET: secret });

    expect(JSON.stringify(config)).not.toContain(secret);
    expect(config.IMAGE_URL_SECRET?.reveal()).toBe(secret);
  });

  it('takes TRUST_PROXY as hops or the proxies\' addresses, and refuses "true" and junk naming the variable', () => {
    expect(loadApiConfig({}).TRUST_PROXY).toBe(false);
    expect(loadApiConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadApiConfig({ TRUST_PROXY: '10.0.0.2, 10.0.1.0/24,::1' }).TRUST_PROXY).toEqual([
      '10.0.0.2',
      '10.0.1.0/24',
      '::1',
    ]);
    for (const value of ['true', 'everything', '10.0.0.300', '0', '10.0.0.0/99']) {
      expect(() => loadApiConfig({ TRUST_PROXY: value }), value).toThrow(
        /TRUST_PROXY: name how many proxies stand in front/,
      );
    }
  });

  it('reads the OTEL_* variables for traces (off without an endpoint) and refuses bad ones, naming each', () => {
    expect(loadApiConfig({}).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(
      loadApiConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'api-eu' }),
    ).toMatchObject({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'api-eu' });
    const refusal = (() => {
      try {
        loadApiConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'token', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' });
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();

    expect(refusal).toMatch(/OTEL_EXPORTER_OTLP_HEADERS: write OTEL_EXPORTER_OTLP_HEADERS as key=value pairs/);
    expect(refusal).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL: write http\/protobuf or http\/json/);
  });

  it('takes SIGNUP_MODE and the reference caps, refusing bad values naming the variable', () => {
    const defaults = accountSettingsFrom(loadApiConfig({}));
    expect([defaults.signUpMode, defaults.references]).toEqual([
      'open',
      {
        maxPerUser: 200,
        maxBytes: 10 * 1024 * 1024,
        maxPixels: 40_000_000,
        uploadsPerMinute: 30,
        quotaBytes: 1024 ** 3,
      },
    ]);
    expect(accountSettingsFrom(loadApiConfig({ SIGNUP_MODE: 'invite' })).signUpMode).toBe('invite');
    for (const [name, value] of [
      ['SIGNUP_MODE', 'invites'],
      ['MAX_REFERENCES_PER_USER', '0'],
      ['REFERENCE_MAX_BYTES', '10'],
      ['ASSET_QUOTA_BYTES', '10'],
      ['REFERENCE_MAX_PIXELS', 'lots'],
      ['REFERENCE_UPLOADS_PER_MINUTE', '-1'],
    ] as const)
      expect(() => loadApiConfig({ [name]: value }), name).toThrow(new RegExp(name));
  });
});
