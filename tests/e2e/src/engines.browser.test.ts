/**
 * The create form's engine pickers, the engine instance on a running job's card, and the admin's engine
 * panel, in a real browser against a whole Darkroom with ComfyUI enabled: one instance unreachable, one
 * a fake ComfyUI (slow steps) whose catalog the worker reads and which makes the job's image.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeComfyUI, type FakeComfyUI } from '@darkroom/providers/testing';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowser, launchBrowser, openSignedIn, screenshot, showAdvanced } from './browser.js';
import { signUp, startStack, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-engines-'));
let stack: Stack;
let browser: Browser;
let comfyui: FakeComfyUI;
beforeAll(async () => {
  // A second per step: the job's 12 steps keep its image running long enough to be seen.
  comfyui = await startFakeComfyUI({ stepMs: 1000 });
  stack = await startStack(dataDir, {
    PROVIDERS_ENABLED: 'local,comfyui',
    // Nothing listens on the first: it is reported down, and no catalog is read from it.
    COMFYUI_URLS: `http://127.0.0.1:9,${comfyui.url}`,
    ENGINE_HEALTH_INTERVAL_MS: '500',
  });
  browser = await launchBrowser();
});
afterAll(async () => {
  await closeBrowser(browser);
  await stack?.stop();
  await comfyui?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('engine choices in the web app', () => {
  it('picks a model, a weighted LoRA and advanced options for ComfyUI, and shows admins the instances', async () => {
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
      .toEqual(['sdxl/sd_xl_base_1.0.safetensors', 'v1-5-pruned-emaonly.safetensors']);
    await model.fill('sdxl/sd_xl_base_1.0.safetensors');
    await page.getByLabel(/^LoRAs/).selectOption('styles/ink-wash.safetensors');
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByLabel('weight of styles/ink-wash.safetensors').fill('0.4');
    await page.getByText('Steps, guidance and sampler').click();
    await page.getByLabel('Steps').fill('12');
    await page.getByLabel('Sampler').selectOption('dpmpp_2m');
    await screenshot(page, 'engine-options-desktop');
    await page.getByRole('button', { name: 'Generate' }).click();
    const card = page.getByTestId('job-card').first();
    await card.waitFor();
    // While its image runs on the fake ComfyUI, the admin's card says which instance it is on.
    const instance = card.getByTestId('engine-instances');
    await expect
      .poll(() => instance.textContent(), { timeout: 20_000 })
      .toBe(`Image 1 on ${new URL(comfyui.url).host}`);
    await screenshot(page, 'engine-instance-on-card');

    const client = new pg.Client({ connectionString: stack.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ model: string; engine_options: unknown }>(
        'select model, engine_options from jobs order by created_at desc limit 1',
      );
      expect(rows[0]).toEqual({
        model: 'sdxl/sd_xl_base_1.0.safetensors',
        engine_options: {
          loras: [{ name: 'styles/ink-wash.safetensors', weight: 0.4 }],
          steps: 12,
          sampler: 'dpmpp_2m',
        },
      });
    } finally {
      await client.end();
    }

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin', exact: true }).click();
    const dead = page.getByTestId('engine-row').filter({ hasText: /127\.0\.0\.1:9(?!\d)/ });
    await expect.poll(() => dead.getAttribute('data-state'), { timeout: 15_000 }).toBe('down');
  });
});
