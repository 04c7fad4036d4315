import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, closeBrowser, launchBrowser, PHONE, screenshot, showAdvanced } from './browser.js';
import { startStack, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-browser-'));
let stack: Stack;
let browser: Browser;
beforeAll(async () => {
  stack = await startStack(dataDir);
  browser = await launchBrowser();
});
afterAll(async () => {
  await closeBrowser(browser);
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the web app', () => {
  it('turns "a friendly dragon playing in a garden" x4 into 4 distinct images within seconds', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(stack.url);
    // A fresh install opens on sign up; the first account is the admin.
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await screenshot(page, 'sign-up-desktop');
    await page.getByLabel('Email').fill('first@example.com');
    await page.getByLabel('Password').fill('a browser password');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => page.getByTestId('account-email').textContent()).toContain('first@example.com (admin)');

    await page.getByLabel('Prompt', { exact: true }).fill('a friendly dragon playing in a garden');
    await page.getByLabel('Number of images').fill('4');
    await showAdvanced(page);
    await page.getByLabel('Quality').selectOption('high');
    await page.getByRole('button', { name: 'Generate' }).click();

    const card = page.getByTestId('job-card').first();
    await card.waitFor();
    // The card says what was asked for, quality included.
    await expect
      .poll(() => card.getByTestId('job-summary').textContent())
      .toMatch(/4 images · normal · local\s* · high quality/);
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    const images = card.getByTestId('job-image');
    await expect.poll(() => images.count()).toBe(4);
    await expect
      .poll(() =>
        images.evaluateAll((els) =>
          els.every((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth > 0),
        ),
      )
      .toBe(true);
    const sources = await images.evaluateAll((els) => els.map((el) => (el as HTMLImageElement).src));
    expect(new Set(sources).size).toBe(4);
    // Distinct pictures, not just distinct URLs.
    // (With the browser's session cookie: images are private to their owner.)
    const bodies = await Promise.all(
      sources.map(async (src) => (await (await page.request.get(src)).body()).toString('base64')),
    );
    expect(new Set(bodies).size).toBe(4);
    const anonymous = await fetch(sources[0]!);
    await anonymous.body?.cancel();
    expect(anonymous.status).toBe(401);

    await expect.poll(() => page.getByTestId('history-item').first().getAttribute('data-status')).toBe('succeeded');
    await page.waitForTimeout(500); // let the progress bar's transition settle for the picture
    await screenshot(page, 'home-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'home-phone');
    await page.setViewportSize(DESKTOP);

    // Four local images at 1 credit each came out of the starting 100.
    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'Usage & credits', exact: true })
      .click();
    await expect.poll(() => page.getByTestId('credit-balance').textContent()).toBe('96 credits');
    await expect.poll(() => page.getByTestId('usage-window').first().textContent()).toContain('Images4');
    await screenshot(page, 'usage-desktop');

    await page
      .getByRole('navigation', { name: 'Sections' })
      .getByRole('link', { name: 'API keys', exact: true })
      .click();
    await page.getByLabel('Key name').fill('my script');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-api-key').textContent())!;
    expect(key).toMatch(/^dk_[0-9a-f]{8}_/);
    await expect.poll(() => page.getByTestId('api-key').count()).toBe(1);
    const viaKey = await fetch(`${stack.url}${new URL(sources[0]!).pathname}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    await viaKey.arrayBuffer();
    expect(viaKey.status).toBe(200);
    await screenshot(page, 'api-keys-desktop');

    // Logging out ends the session: the next visit asks to log in.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(cspViolations).toEqual([]);
    await page.close();
  });
});
