import { MAX_IMAGES_PER_JOB, MAX_PROMPT_LENGTH, MODERATION_DESCRIPTION } from '@darkroom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h?.close());

describe('the OpenAPI document and the docs page', () => {
  it('GET /api/v1/openapi.json is an OpenAPI 3.1 document of every REST route, with the core schemas', async () => {
    const response = await (await h.server()).inject({ method: 'GET', url: '/api/v1/openapi.json' });

    expect(response.statusCode).toBe(200);
    const document = response.json<{
      openapi: string;
      servers: { url: string }[];
      paths: Record<string, Record<string, unknown>>;
      components: {
        schemas: Record<
          string,
          { properties: Record<string, { maxLength?: number; maximum?: number }>; required?: string[] }
        >;
      };
    }>();
    expect(document.openapi).toBe('3.1.0');
    expect(document.servers).toEqual([{ url: '/api/v1' }]);
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual([
      'DELETE /assets/{id}',
      'DELETE /collections/{id}',
      'DELETE /jobs/{id}',
      'GET /assets',
      'GET /assets/{id}',
      'GET /collections',
      'GET /collections/{id}/images',
      'GET /jobs',
      'GET /jobs/{id}',
      'GET /jobs/{id}/webhook-deliveries',
      'GET /ledger',
      'GET /models',
      'GET /projects',
      'GET /queue',
      'PATCH /collections/{id}',
      'POST /assets',
      'POST /collections',
      'POST /collections/{id}/images',
      'POST /collections/{id}/images/remove',
      'POST /gallery/project',
      'POST /gallery/remove',
      'POST /generations',
      'POST /images/{id}/edits',
      'POST /images/{id}/upscale',
      'POST /images/{id}/variations',
      'POST /jobs/{id}/retry',
      'POST /projects/rename',
      'POST /quotes',
    ]);
    const request = document.components.schemas.JobRequest!;
    expect(request.properties.prompt!.maxLength).toBe(MAX_PROMPT_LENGTH);
    expect(request.properties.numImages!.maximum).toBe(MAX_IMAGES_PER_JOB);
    expect(request.required).toEqual(['prompt']);
    expect(request.properties.moderation).toEqual({
      type: 'string',
      enum: ['strict', 'standard', 'relaxed'],
      description: MODERATION_DESCRIPTION,
    });
    expect(Object.keys(document.components.schemas.JobAccepted!.properties).sort()).toEqual([
      'estimatedWaitSeconds',
      'jobId',
      'queuePosition',
      'status',
    ]);
  });

  it('every documented operation is a real route (none answers 404 for want of a route)', async () => {
    const document = (await h.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const method of Object.keys(methods)) {
        const response = await h.inject({
          method: method.toUpperCase() as 'GET',
          url: `/api/v1${path.replace('{id}', id)}`,
          payload: method === 'post' ? {} : undefined,
        });
        // A missing route would answer Fastify's own 404 without our error shape.
        expect(response.json()).not.toHaveProperty('message');
        if (response.statusCode === 404) expect(response.json().error.message).toContain(id);
      }
    }
  });

  it('/api/docs serves Swagger UI from local files only, under the same-origin CSP', async () => {
    const page = await (await h.server()).inject({ method: 'GET', url: '/api/docs/' });

    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
    const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((match) => match[1]!);
    const styles = [...page.body.matchAll(/<link[^>]+href="([^"]+)"/g)].map((match) => match[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const asset of [...scripts, ...styles]) {
      expect(asset).not.toMatch(/^(https?:)?\/\//);
      const url = asset.startsWith('/') ? asset : `/api/docs/${asset.replace(/^\.\//, '')}`;
      expect((await h.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    const initializerPath = scripts.find((script) => script.endsWith('swagger-initializer.js'))!;
    const initializer = await h.inject({
      method: 'GET',
      url: initializerPath.startsWith('/') ? initializerPath : `/api/docs/${initializerPath.replace(/^\.\//, '')}`,
    });
    // The UI is told not to call the public validator service, which the CSP would block anyway.
    expect(initializer.body).toMatch(/"validatorUrl":\s*null/);
  });
});
