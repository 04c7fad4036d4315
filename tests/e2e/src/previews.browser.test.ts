/**
 * A running image develops in its slot: the card shows the engine's previews (here the local provider's
 * passes: sketch, colour), each with its step, before the final image replaces them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobView } from '@darkroom/core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, closeBrowser, launchBrowser } from './browser.js';
import { exited, processes, type Processes } from './faults/cluster.js';
import { signUp, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-previews-'));
let stack: Stack;
let cluster: Processes;
let browser: Browser;
let account: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  // No worker yet: the job waits until its card is on the page (see the test).
  stack = await startStack(dataDir, { LAUNCH_WORKER: 'false' });
  cluster = processes(stack);
  browser = await launchBrowser();
  account = await signUp(stack.url, 'previews@example.com');
});
afterAll(async () => {
  await closeBrowser(browser);
  cluster?.killAll();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('previews in the job card', () => {
  it('shows at least two distinct previews in the image slot, with their steps, before the final image', async () => {
    const job = await trpc<JobView>(
      stack.url,
      'jobs.create',
      { prompt: 'a lighthouse on a cliff', numImages: 1, provider: 'local' },
      'mutation',
      account.apiKey,
    );
    const page = await browser.newPage({ viewport: DESKTOP });
    await page.context().addCookies([{ ...account.cookie, url: stack.url }]);
    await page.addInitScript((id) => localStorage.setItem('darkroom.followedJobs', JSON.stringify([id])), job.id);
    await page.goto(stack.url);
    await expect.poll(() => page.getByTestId('live-badge').getAttribute('data-live'), { timeout: 15_000 }).toBe('true');
    // Every preview the slot shows, and the final image, in the order the page showed them.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => {
        const slot = document.querySelector('[data-testid="image-slot"]');
        const preview = slot?.querySelector<HTMLImageElement>('[data-testid="image-preview"]');
        const final = slot?.querySelector<HTMLImageElement>('[data-testid="job-image"]');
        const entry = final ? `final ${final.src}` : preview ? `preview ${preview.src} ${preview.alt}` : null;
        if (entry && seen.at(-1) !== entry) seen.push(entry);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    // Each pass shown for 1.5 s: the page sees every one even on a busy machine.
    const worker = await cluster.worker('previews', { LOCAL_PASS_MS: '1500', IMAGE_CONCURRENCY: '1' });
    const card = page.locator(`[data-testid="job-card"][data-job-id="${job.id}"]`);
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    await expect.poll(() => card.getByTestId('job-image').count()).toBe(1);

    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    const finalAt = seen.findIndex((entry) => entry.startsWith('final'));
    const previews = seen.slice(0, finalAt === -1 ? undefined : finalAt).filter((entry) => entry.startsWith('preview'));
    expect(new Set(previews.map((entry) => entry.split(' ')[1])).size).toBeGreaterThanOrEqual(2);
    expect(previews.some((entry) => entry.includes('step 1 of 3'))).toBe(true);
    expect(previews.some((entry) => entry.includes('step 2 of 3'))).toBe(true);
    expect(finalAt).toBeGreaterThan(0);
    worker.kill('SIGTERM');
    await exited(worker);
    await page.close();
  });
});
