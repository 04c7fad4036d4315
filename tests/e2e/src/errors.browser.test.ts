/**
 * What goes wrong, said in words: a provider that refuses every prompt (the mock with
 * MOCK_FAILURES=content_filtered:1), a submit over the rate limit, an account out of credits, and a lost
 * network connection that the page recovers from by itself. One stack for the file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobView } from '@darkroom/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, closeBrowser, launchBrowser, openSignedIn, PHONE, screenshot, showAdvanced } from './browser.js';
import { signUp, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-errors-'));
let stack: Stack;
let browser: Browser;
let admin: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  // Every mock image is refused; each account may submit 3 jobs a minute.
  stack = await startStack(dataDir, { MOCK_FAILURES: 'content_filtered:1', SUBMITS_PER_MINUTE: '3' });
  browser = await launchBrowser();
  admin = await signUp(stack.url, 'operator@example.com');
});
afterAll(async () => {
  await closeBrowser(browser);
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

type Account = Awaited<ReturnType<typeof signUp>>;

function openStudio(account: Account, viewport = DESKTOP): Promise<Page> {
  return openSignedIn(browser, stack.url, account, { viewport });
}

describe('errors in words', () => {
  it('a job the provider refuses fails with the reason in words, each image slot marked failed', async () => {
    const user = await signUp(stack.url, 'refused@example.com');
    const page = await openStudio(user);
    await page.getByLabel('Prompt', { exact: true }).fill('a prompt the filter refuses');
    await page.getByLabel('Number of images').fill('2');
    await showAdvanced(page);
    await page.getByLabel('Provider').selectOption('mock');
    await page.getByRole('button', { name: 'Generate' }).click();

    const card = page.getByTestId('job-card').first();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('failed');
    expect(await card.getByTestId('job-error').textContent()).toBe(
      'The provider refused this prompt on safety grounds. Edit the prompt and try again.',
    );
    expect(await card.locator('[data-testid="image-slot"][data-status="failed"]').count()).toBe(2);
    // Nothing was made, so nothing was charged: the header's balance is back to the start.
    await expect
      .poll(() => page.getByTestId('account-email').textContent(), { timeout: 15_000 })
      .toContain('100 credits');
    await screenshot(page, 'failed-job-desktop');

    // The same prompt would be refused again: the way on is to edit it, and Retry is not offered.
    expect(await card.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    await card.getByRole('button', { name: 'Edit prompt' }).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe('TEXTAREA');
    expect(await page.getByLabel('Prompt', { exact: true }).inputValue()).toBe('a prompt the filter refuses');
    await page.context().close();
  });

  it('a submit over the rate limit says when to try again', async () => {
    const user = await signUp(stack.url, 'hasty@example.com');
    for (let i = 0; i < 3; i++)
      await trpc(stack.url, 'jobs.create', { prompt: `hasty ${i}`, provider: 'local' }, 'mutation', user.apiKey);
    const page = await openStudio(user);
    await page.getByLabel('Prompt', { exact: true }).fill('one job too many');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect
      .poll(() => page.getByTestId('submit-error').textContent(), { timeout: 15_000 })
      .toMatch(/^Too many requests right now\. Try again in \d+ s \(at .+\)\.$/);
    // The prompt stays, to send again later.
    expect(await page.getByLabel('Prompt', { exact: true }).inputValue()).toBe('one job too many');
    await page.context().close();
  });

  it('out of credits says how many the job needs and what the balance is, before and after submitting', async () => {
    const user = await signUp(stack.url, 'broke@example.com');
    await trpc(stack.url, 'credits.grant', { email: 'broke@example.com', amount: -97 }, 'mutation', admin.apiKey);
    const page = await openStudio(user);
    await page.getByLabel('Prompt', { exact: true }).fill('four images on three credits');
    await page.getByLabel('Number of images').fill('4');
    await showAdvanced(page);
    await page.getByLabel('Provider').selectOption('local');
    await expect.poll(() => page.getByTestId('cost').textContent()).toBe('Costs 4 credits · you have 3 (not enough)');
    await page.getByRole('button', { name: 'Generate' }).click();
    await expect
      .poll(() => page.getByTestId('submit-error').textContent(), { timeout: 15_000 })
      .toBe(
        'Not enough credits: this needs 4 credits and your balance is 3. Ask an admin for more, or ask for fewer images.',
      );
    expect(await page.getByTestId('job-card').count()).toBe(0);
    await page.context().close();
  });
});

describe('network loss', () => {
  it('shows an offline banner while the connection is gone and catches up by itself once it is back', async () => {
    const user = await signUp(stack.url, 'offline@example.com');
    const page = await openStudio(user);
    await expect.poll(() => page.getByTestId('live-badge').getAttribute('data-live'), { timeout: 15_000 }).toBe('true');
    expect(await page.getByTestId('offline-banner').count()).toBe(0);

    await page.context().setOffline(true);
    await page.getByTestId('offline-banner').waitFor();
    expect(await page.getByTestId('offline-banner').textContent()).toMatch(/offline/);
    await screenshot(page, 'offline-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'offline-phone');
    await page.setViewportSize(DESKTOP);
    // Work goes on elsewhere while this page is cut off.
    const job = await trpc<JobView>(
      stack.url,
      'jobs.create',
      { prompt: 'made while the page was offline', provider: 'local' },
      'mutation',
      user.apiKey,
    );

    await page.context().setOffline(false);
    await expect.poll(() => page.getByTestId('offline-banner').count(), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => page.getByTestId('live-badge').getAttribute('data-live'), { timeout: 30_000 }).toBe('true');
    await expect
      .poll(() => page.locator(`[data-testid="history-item"][data-job-id="${job.id}"]`).count(), { timeout: 30_000 })
      .toBe(1);
    await page.context().close();
  });
});
