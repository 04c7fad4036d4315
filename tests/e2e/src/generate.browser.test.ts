import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, launchBrowser, PHONE, screenshot } from './browser.js';
import { startStack, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-browser-'));
let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  stack = await startStack(dataDir);
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the web app', () => {
  it('turns "a friendly dragon playing in a garden" x4 into 4 distinct images within seconds', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.goto(stack.url);
    await page.getByLabel('Prompt', { exact: true }).fill('a friendly dragon playing in a garden');
    await page.getByLabel('Number of images').fill('4');
    await page.getByRole('button', { name: 'Generate' }).click();

    const card = page.getByTestId('job-card').first();
    await card.waitFor();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    const images = card.getByTestId('job-image');
    await expect.poll(() => images.count()).toBe(4);
    await expect
      .poll(() => images.evaluateAll((els) => els.every((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0)))
      .toBe(true);
    const sources = await images.evaluateAll((els) => els.map((el) => (el as HTMLImageElement).src));
    expect(new Set(sources).size).toBe(4);
    // Distinct pictures, not just distinct URLs.
    const bodies = await Promise.all(sources.map(async (src) => Buffer.from(await (await fetch(src)).arrayBuffer()).toString('base64')));
    expect(new Set(bodies).size).toBe(4);

    await expect.poll(() => page.getByTestId('history-item').first().getAttribute('data-status')).toBe('succeeded');
    await page.waitForTimeout(500); // let the progress bar's transition settle for the picture
    await screenshot(page, 'home-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'home-phone');
    await page.close();
  });
});
