/**
 * The quote and the schedule in the browser: the generate form shows what a request would cost and when
 * it should start before Generate is pressed (jobs.quote, debounced), and a job scheduled for later
 * (notBefore, over the API) says on its card when it will start. Run alone:
 * `pnpm exec vitest run src/quote-schedule.browser.test.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowser, launchBrowser, openSignedIn, screenshot } from './browser.js';
import { signUp, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-quote-'));
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

describe('quote and schedule', () => {
  it('shows the quote before Generate, and a scheduled job says when it will start', async () => {
    const account = await signUp(stack.url, 'quoting@example.com');
    const page = await openSignedIn(browser, stack.url, account);

    await page.getByLabel('Prompt', { exact: true }).fill('a lighthouse at dusk');
    await page.getByLabel('Number of images').fill('3');
    const quote = page.getByTestId('quote-line');
    // Three local images at one credit each, into an empty queue.
    await expect.poll(() => quote.textContent(), { timeout: 10_000 }).toMatch(/^Quote: 3 credits · should start/);
    await page.getByLabel('Number of images').fill('2');
    await expect.poll(() => quote.textContent(), { timeout: 10_000 }).toMatch(/^Quote: 2 credits · /);

    // A job scheduled ten minutes ahead over the API: its card says when it will start.
    const notBefore = new Date(Date.now() + 10 * 60_000);
    const job = await trpc<{ id: string; status: string }>(
      stack.url,
      'jobs.create',
      { prompt: 'a scheduled sunrise', notBefore: notBefore.toISOString() },
      'mutation',
      account.apiKey,
    );
    expect(job.status).toBe('queued');
    // Its own page (a card like the studio's): the browser test navigates there as a link would.
    await page.goto(`${stack.url}/jobs/${job.id}`);
    const card = page.getByTestId('job-card');
    const expected = notBefore.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
    const status = card.first().getByTestId('job-status-text');
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toContain('scheduled · starts at');
    // The page's clock and this process's agree (same machine, same TZ): a minute either way for rounding.
    const text = (await status.textContent()) ?? '';
    const later = new Date(notBefore.getTime() + 60_000).toLocaleTimeString(undefined, {
      hour: '2-digit',
      minute: '2-digit',
    });
    expect([expected, later].some((time) => text.includes(time))).toBe(true);
    await screenshot(page, 'quote-and-scheduled');
    await trpc(stack.url, 'jobs.cancel', { id: job.id }, 'mutation', account.apiKey);
  }, 120_000);
});
