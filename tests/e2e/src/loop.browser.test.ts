/**
 * The prompt loop and the keys page (issue 19, points 4 and 6; audit defects 12, 17, 20, 21): the prompt
 * stays after Generate and earlier ones come back with the arrow keys, the new job is brought into view
 * and announced, a one-image card shows its image at the card's width, a new key has a Copy button and
 * revoking asks first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowser, launchBrowser, openSignedIn } from './browser.js';
import type { JobListView } from '@darkroom/core';
import { signUp, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-loop-'));
let stack: Stack;
let browser: Browser;
let user: Awaited<ReturnType<typeof signUp>>;
let admin: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  stack = await startStack(dataDir);
  browser = await launchBrowser();
  admin = await signUp(stack.url, 'admin@example.com');
  user = await signUp(stack.url, 'loop@example.com');
});
afterAll(async () => {
  await closeBrowser(browser);
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the prompt loop', () => {
  it('keeps the prompt, recalls earlier ones, brings the new job into view and announces it (defects 17, 21)', async () => {
    const page = await openSignedIn(browser, stack.url, user);
    const prompt = page.getByLabel('Prompt', { exact: true });
    await prompt.fill('a lantern in the rain');
    await page.getByLabel('Number of images').fill('1');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect.poll(() => page.getByTestId('submit-announcement').textContent()).toBe('Started 1 job: see Jobs.');
    expect(await prompt.inputValue()).toBe('a lantern in the rain');
    // The same form sent again a moment later is a new job (a repeat within 3 s would be the same one).
    await page.waitForTimeout(3500);
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect
      .poll(async () => {
        const list = await trpc<JobListView>(stack.url, 'jobs.list', { search: 'lantern rain' }, 'query', user.apiKey);
        return list.items.length;
      })
      .toBe(2);

    await prompt.fill('a lantern in the snow');
    // Scrolled down to Generate, as on a 1280x900 screen: the new card must come into view.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Generate' }).click();
    const card = page.getByTestId('job-card').filter({ hasText: 'a lantern in the snow' });
    await card.waitFor();
    await expect
      .poll(() =>
        card.evaluate(
          (el) => el.getBoundingClientRect().top >= 0 && el.getBoundingClientRect().top < window.innerHeight,
        ),
      )
      .toBe(true);

    await prompt.fill('');
    await prompt.press('ArrowUp');
    expect(await prompt.inputValue()).toBe('a lantern in the snow');
    await prompt.press('ArrowUp');
    expect(await prompt.inputValue()).toBe('a lantern in the rain');
    await prompt.press('ArrowDown');
    expect(await prompt.inputValue()).toBe('a lantern in the snow');
    await page.context().close();
  });

  it("shows a one-image job's image at the card's width, its download chip on hover (defect 20)", async () => {
    const page = await openSignedIn(browser, stack.url, user);
    await page.getByLabel('Prompt', { exact: true }).fill('a single kite');
    await page.getByLabel('Number of images').fill('1');
    await page.getByRole('button', { name: 'Generate' }).click();
    const card = page.getByTestId('job-card').filter({ hasText: 'a single kite' });
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    const [tile, grid] = await Promise.all([
      card.getByTestId('image-slot').evaluate((el) => el.getBoundingClientRect().width),
      card.locator('.image-grid').evaluate((el) => el.getBoundingClientRect().width),
    ]);
    expect(tile).toBeGreaterThan(grid - 2);
    const chip = card.getByRole('link', { name: 'Download image 1' });
    await page.mouse.move(0, 0);
    await expect.poll(() => chip.evaluate((el) => getComputedStyle(el).opacity)).toBe('0');
    await card.getByTestId('image-slot').hover();
    await expect.poll(() => chip.evaluate((el) => getComputedStyle(el).opacity)).toBe('1');
    await page.context().close();
  });
});

describe('API keys (defect 12)', () => {
  it('a new key has a Copy button; Revoke asks first and can be called off', async () => {
    const page = await openSignedIn(browser, stack.url, user);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Key name').fill('render script');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = (await page.getByTestId('new-api-key').textContent())!;
    await page.getByRole('button', { name: 'Copy key' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    const row = page.getByTestId('api-key').filter({ hasText: 'render script' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Keep it' }).click();
    expect(await row.count()).toBe(1);

    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(() => row.count()).toBe(0);
    await page.context().close();
  });
});

describe('credits (point 6)', () => {
  it('an admin gives an account credits from the admin page, with words for a bad amount', async () => {
    const page = await openSignedIn(browser, stack.url, admin);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByLabel('Account email').fill('loop@example.com');
    await page.getByLabel('Credits (negative to take back)').fill('2000000');
    await page.getByRole('button', { name: 'Give credits' }).click();
    await expect
      .poll(() => page.locator('.field-error').first().textContent())
      .toBe('The amount can be at most 1,000,000.');
    await page.getByLabel('Credits (negative to take back)').fill('50');
    await page.getByLabel('Note (optional)').fill('for the book');
    await page.getByRole('button', { name: 'Give credits' }).click();
    await expect
      .poll(() => page.getByTestId('grant-result').textContent(), { timeout: 15_000 })
      .toMatch(/^loop@example\.com now has \d+ credits\.$/);
    await page.context().close();

    const mine = await openSignedIn(browser, `${stack.url}`, user);
    await mine.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Usage & credits' }).click();
    await expect
      .poll(() => mine.getByTestId('ledger-line').first().textContent())
      .toMatch(/Grant · 50 credits granted/);
    await mine.context().close();
  });
});
