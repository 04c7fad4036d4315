/**
 * Costs and notifications (issue 19, points 4 and 6; audit defect 11): each job's cost on its card and
 * in History, the ledger one line per job a page at a time with "Load more", the page title counting
 * running jobs, and a desktop notification for a job that finished while the tab was hidden.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobView } from '@darkroom/core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeBrowser, launchBrowser, openSignedIn } from './browser.js';
import { eventually, signUp, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-credits-'));
let stack: Stack;
let browser: Browser;
let user: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  stack = await startStack(dataDir, { MOCK_LATENCY_MS: '6000' });
  browser = await launchBrowser();
  await signUp(stack.url, 'admin@example.com');
  user = await signUp(stack.url, 'credits@example.com');
});
afterAll(async () => {
  await closeBrowser(browser);
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const create = (input: object) => trpc<JobView>(stack.url, 'jobs.create', input, 'mutation', user.apiKey);
const finished = (id: string) =>
  eventually(async () => {
    const view = await trpc<JobView>(stack.url, 'jobs.get', { id }, 'query', user.apiKey);
    return ['succeeded', 'failed', 'canceled'].includes(view.status) ? view : null;
  }, 60_000);

describe('credits', () => {
  it("shows each job's cost on its card and in History; the ledger is one line per job, paged", async () => {
    const made: JobView[] = [];
    for (let i = 0; i < 21; i++)
      made.push(await create({ prompt: `a ledger line ${i}`, numImages: i === 0 ? 2 : 1, provider: 'local' }));
    const first = await finished(made[0]!.id);
    for (const job of made.slice(1)) await finished(job.id);
    const price = first.credits.price;
    expect(first.credits).toEqual({ price, reserved: 0, charged: 2 * price });

    const page = await openSignedIn(browser, stack.url, user);
    await page.goto(`${stack.url}/jobs/${first.id}`);
    await expect
      .poll(() => page.getByTestId('job-card').getByTestId('job-cost').textContent(), { timeout: 15_000 })
      .toBe(`Cost: ${2 * price} credits`);

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'History' }).click();
    const entry = page.getByTestId('history-item').filter({ hasText: 'a ledger line 20' });
    await expect
      .poll(() => entry.getByTestId('history-cost').textContent())
      .toBe(`Cost: ${price} credit${price === 1 ? '' : 's'}`);

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Usage & credits' }).click();
    const lines = page.getByTestId('ledger-line');
    await expect.poll(() => lines.count(), { timeout: 15_000 }).toBe(20);
    await page.getByRole('button', { name: 'Load more' }).click();
    // 21 jobs and the starting grant: one line each, whatever each job wrote (reserve, charge).
    await expect.poll(() => lines.count(), { timeout: 15_000 }).toBe(22);
    await expect.poll(() => page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    const texts = await lines.allTextContents();
    expect(texts.filter((text) => text.includes('granted'))).toHaveLength(1);
    const oldest = lines.filter({ has: page.locator(`a[href="/jobs/${first.id}"]`) });
    expect(await oldest.locator('td').nth(1).textContent()).toBe(`Job · ${2 * price} credits spent`);
    await page.context().close();
  });
});

describe('notifications', () => {
  it('says when a job finished while the tab was hidden, once allowed; not while it is shown', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['notifications'], { origin: stack.url });
    await context.addCookies([{ ...user.cookie, url: stack.url }]);
    // Records each notification (and still shows it), and lets the test hide the tab, which a headless
    // browser's only page never is.
    await context.addInitScript(() => {
      const w = window as unknown as { notes: { title: string; body?: string }[]; setHidden: (v: boolean) => void };
      w.notes = [];
      const Real = window.Notification;
      class Recording extends Real {
        constructor(title: string, options?: NotificationOptions) {
          super(title, options);
          w.notes.push({ title, body: options?.body });
        }
      }
      window.Notification = Recording;
      let hidden = false;
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => (hidden ? 'hidden' : 'visible'),
      });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
      w.setHidden = (value) => {
        hidden = value;
        document.dispatchEvent(new Event('visibilitychange'));
      };
    });
    const page = await context.newPage();
    await page.goto(stack.url);
    await page.getByTestId('account-email').waitFor();
    expect(await page.locator('.app-footer').textContent()).toContain('Notifications on for finished jobs');
    const notes = () => page.evaluate(() => (window as unknown as { notes: object[] }).notes);

    await page.evaluate(() => (window as unknown as { setHidden: (v: boolean) => void }).setHidden(true));
    const hiddenJob = await create({ prompt: 'a comet over the hills', numImages: 2, provider: 'mock' });
    // The title counts it while it runs.
    await expect.poll(() => page.title(), { timeout: 15_000 }).toMatch(/^\(1\) /);
    await finished(hiddenJob.id);
    await expect
      .poll(notes, { timeout: 15_000 })
      .toEqual([{ title: 'Job finished: a comet over the hills', body: '2 images ready' }]);

    await page.evaluate(() => (window as unknown as { setHidden: (v: boolean) => void }).setHidden(false));
    const shownJob = await create({ prompt: 'a kite in the wind', numImages: 1, provider: 'mock' });
    await finished(shownJob.id);
    await expect.poll(() => page.title(), { timeout: 15_000 }).not.toMatch(/^\(/);
    expect(await notes()).toHaveLength(1);
    await context.close();
  });

  it('offers to notify when the browser has not been asked yet', async () => {
    const page = await openSignedIn(browser, stack.url, user);
    await page.getByRole('button', { name: 'Notify me when a job finishes' }).waitFor();
    await page.context().close();
  });
});
