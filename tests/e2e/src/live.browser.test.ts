/**
 * Job cards follow the live stream (`jobs.feed` over SSE): every image's progress shows up as it
 * happens, without polling. When the stream is unavailable the cards poll with backoff instead.
 *
 * The stack runs without a worker of its own: each test submits its job, opens the page, and only when the
 * card is ready (live, or showing the queued job) starts a worker. The job cannot run ahead of a page that
 * is slow to load on a busy machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobView } from '@darkroom/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, closeBrowser, launchBrowser } from './browser.js';
import { exited, processes, type Processes } from './faults/cluster.js';
import { signUp, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-live-'));
let stack: Stack;
let cluster: Processes;
let browser: Browser;
let account: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  stack = await startStack(dataDir, { LAUNCH_WORKER: 'false' });
  cluster = processes(stack);
  browser = await launchBrowser();
  account = await signUp(stack.url, 'live@example.com');
});
afterAll(async () => {
  await closeBrowser(browser);
  cluster?.killAll();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Runs the queued jobs with a worker of their own, stopped (SIGTERM, as an orchestrator would) when `run`
 * ends. One image at a time, each taking 700 ms: a 5-image job runs for several seconds.
 */
async function withWorker(id: string, run: () => Promise<void>) {
  const worker = await cluster.worker(id, { MOCK_LATENCY_MS: '700', IMAGE_CONCURRENCY: '1' });
  try {
    await run();
  } finally {
    worker.kill('SIGTERM');
    await exited(worker);
  }
}

/** Opens the app following `jobId` (as after a reload), counting the card's reads of the job. */
async function openFollowing(page: Page, jobId: string) {
  const reads = { count: 0 };
  page.on('request', (request) => {
    if (request.url().includes('/trpc/jobs.get')) reads.count++;
  });
  await page.context().addCookies([{ ...account.cookie, url: stack.url }]);
  await page.addInitScript((id) => localStorage.setItem('darkroom.followedJobs', JSON.stringify([id])), jobId);
  await page.goto(stack.url);
  return reads;
}

/** Every progress value the card's progress bar shows, recorded in the page as it changes. */
async function recordProgress(page: Page) {
  await page.getByRole('progressbar').first().waitFor();
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seenProgress: string[] }).seenProgress = seen;
    const bar = document.querySelector('[role="progressbar"]')!;
    seen.push(bar.getAttribute('aria-valuenow')!);
    new MutationObserver(() => seen.push(bar.getAttribute('aria-valuenow')!)).observe(bar, {
      attributes: true,
      attributeFilter: ['aria-valuenow'],
    });
  });
  return () => page.evaluate(() => (window as unknown as { seenProgress: string[] }).seenProgress);
}

describe('live job cards', () => {
  it("show each image's progress as it happens, over the stream, without polling", async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    const job = await trpc<JobView>(
      stack.url,
      'jobs.create',
      { prompt: 'a heron in the reeds', numImages: 5, provider: 'mock' },
      'mutation',
      account.apiKey,
    );
    const reads = await openFollowing(page, job.id);
    await expect.poll(() => page.getByTestId('live-badge').getAttribute('data-live'), { timeout: 15_000 }).toBe('true');
    const progress = await recordProgress(page);
    const card = page.getByTestId('job-card').first();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 15_000 }).toBe('queued');

    await withWorker('live-stream', async () => {
      await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    });

    // 20, 40, 60, 80, then done: the steps a 5-image job takes, each seen as it was made.
    const steps = new Set((await progress()).map(Number).filter((value) => value > 0 && value < 100));
    expect(steps.size).toBeGreaterThanOrEqual(3);
    // The card read the job on load and once when the stream came up; the rest came over the stream.
    // Polling (1 s growing x1.2) would have read it at least three times over these seconds.
    expect(reads.count).toBeLessThanOrEqual(2);
    expect(await card.getByTestId('job-image').count()).toBe(5);
    await page.close();
  });

  it('fall back to polling with backoff when the stream is unavailable', async () => {
    const page = await browser.newPage({ viewport: DESKTOP });
    // A proxy that refuses Server-Sent Events.
    await page.route('**/trpc/jobs.feed**', (route) => route.fulfill({ status: 502, body: 'no streaming here' }));
    // Six images (over 4 s): enough for several polls while it runs.
    const job = await trpc<JobView>(
      stack.url,
      'jobs.create',
      { prompt: 'an egret at dawn', numImages: 6, provider: 'mock' },
      'mutation',
      account.apiKey,
    );
    const reads = await openFollowing(page, job.id);
    const card = page.getByTestId('job-card').first();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 15_000 }).toBe('queued');
    const readsBeforeRun = reads.count;

    await withWorker('live-poll', async () => {
      await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    });
    expect(await page.getByTestId('live-badge').getAttribute('data-live')).toBe('false');
    // Polled while the job ran, not only once at load.
    expect(reads.count - readsBeforeRun).toBeGreaterThanOrEqual(2);
    expect(await card.getByTestId('job-image').count()).toBe(6);
    await page.close();
  });
});
