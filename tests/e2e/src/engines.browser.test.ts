/**
 * The create form's engine pickers and the admin's engine panel, in a real browser against a whole
 * Darkroom with ComfyUI enabled (its one instance unreachable). The catalog row a worker would have read
 * from the engine is written straight into the database: the API only ever reads that table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowser, launchBrowser, openSignedIn, screenshot, showAdvanced } from './browser.js';
import { signUp, startStack, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-engines-'));
let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  stack = await startStack(dataDir, {
    PROVIDERS_ENABLED: 'local,comfyui',
    // Nothing listens there: the instance is reported down, and no catalog is read from it.
    COMFYUI_URLS: 'http://127.0.0.1:9',
    ENGINE_HEALTH_INTERVAL_MS: '500',
  });
  browser = await launchBrowser();
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    await client.query(
      `insert into provider_catalogs (provider, models, loras, samplers, source, worker_id, refreshed_at)
       values ('comfyui', $1, $2, $3, 'engine', 'e2e', now())`,
      [['sd_xl_base_1.0.safetensors'], ['detail.safetensors', 'ink.safetensors'], ['euler', 'dpmpp_2m']],
    );
  } finally {
    await client.end();
  }
});
afterAll(async () => {
  await closeBrowser(browser);
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('engine choices in the web app', () => {
  it('picks a model, a weighted LoRA and advanced options for ComfyUI, and shows admins the instance', async () => {
    const admin = await signUp(stack.url, 'engines-admin@example.com');
    const page = await openSignedIn(browser, stack.url, admin);

    await page.getByLabel('Prompt', { exact: true }).fill('a lighthouse');
    await page.getByLabel('Number of images').fill('1');
    await showAdvanced(page);
    await page.getByLabel('Provider').selectOption('comfyui');
    const model = page.getByLabel(/^Model/);
    const listId = await model.getAttribute('list');
    // useId() ids hold colons: found by attribute, not by a CSS id selector.
    const options = page.locator(`datalist[id="${listId}"] option`);
    await expect
      .poll(() => options.evaluateAll((els) => els.map((el) => (el as HTMLOptionElement).value)))
      .toEqual(['sd_xl_base_1.0.safetensors']);
    await model.fill('sd_xl_base_1.0.safetensors');
    await page.getByLabel(/^LoRAs/).selectOption('ink.safetensors');
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByLabel('weight of ink.safetensors').fill('0.4');
    await page.getByText('Steps, guidance and sampler').click();
    await page.getByLabel('Steps').fill('12');
    await page.getByLabel('Sampler').selectOption('dpmpp_2m');
    await screenshot(page, 'engine-options-desktop');
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.getByTestId('job-card').first().waitFor();

    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ model: string; engine_options: unknown }>(
        'select model, engine_options from jobs order by created_at desc limit 1',
      );
      expect(rows[0]).toEqual({
        model: 'sd_xl_base_1.0.safetensors',
        engine_options: { loras: [{ name: 'ink.safetensors', weight: 0.4 }], steps: 12, sampler: 'dpmpp_2m' },
      });
    } finally {
      await client.end();
    }

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin', exact: true }).click();
    const row = page.getByTestId('engine-row');
    await expect.poll(() => row.first().getAttribute('data-state'), { timeout: 15_000 }).toBe('down');
    await expect.poll(() => row.first().textContent()).toContain('127.0.0.1:9');
  });
});
