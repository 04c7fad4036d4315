/**
 * The studio as people use it, in Chromium against the real launcher (API, worker, Postgres): submit and
 * follow live, several jobs side by side, cancel queued and running jobs, reload, double submits, batches,
 * the gallery (lightbox, zip, remix), history filters and pages, and the admin tab. One stack for the
 * file; one worker slot and 1 s mock images, so a mock job stays running long enough to watch and
 * a second one waits in the queue. `local` images are fast for the tests that only need results.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobListView, JobView } from '@darkroom/core';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, closeBrowser, launchBrowser, openSignedIn, PHONE, screenshot, showAdvanced } from './browser.js';
import { signUp, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-studio-'));
let stack: Stack;
let browser: Browser;
let admin: Awaited<ReturnType<typeof signUp>>;
let user: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  // High-quality mock images cost 2 credits; everything else 1. A mock image takes 2.5 s, so the 8-image
  // job the cancel test holds running lasts 20 s: long enough for a page on a busy machine to reach it.
  stack = await startStack(dataDir, {
    MOCK_LATENCY_MS: '2500',
    IMAGE_CONCURRENCY: '1',
    WORKER_CONCURRENCY: '1',
    CREDIT_PRICES: 'mock:1,mock/high:2',
  });
  browser = await launchBrowser();
  // The first account is the admin; the second an ordinary user.
  admin = await signUp(stack.url, 'admin@example.com');
  user = await signUp(stack.url, 'studio@example.com');
});
afterAll(async () => {
  await closeBrowser(browser);
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

type Account = Awaited<ReturnType<typeof signUp>>;

/** A signed-in page on the studio, following its jobs live. */
async function openStudio(account: Account, viewport = DESKTOP): Promise<Page> {
  const page = await openSignedIn(browser, stack.url, account, { viewport, acceptDownloads: true });
  await expect.poll(() => page.getByTestId('live-badge').getAttribute('data-live'), { timeout: 15_000 }).toBe('true');
  return page;
}

async function fillForm(
  page: Page,
  { prompt, numImages, provider }: { prompt: string; numImages: number; provider: 'local' | 'mock' },
) {
  await page.getByLabel('Prompt', { exact: true }).fill(prompt);
  await page.getByLabel('Number of images').fill(String(numImages));
  await showAdvanced(page);
  await page.getByLabel('Provider').selectOption(provider);
}

const tab = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true });
const cardFor = (page: Page, prompt: string) =>
  page.getByTestId('job-card').filter({ has: page.getByRole('heading', { name: prompt }) });

async function jobsWithPrompt(account: Account, words: string): Promise<JobView[]> {
  return (await trpc<JobListView>(stack.url, 'jobs.list', { search: words, limit: 100 }, 'query', account.apiKey))
    .items;
}

describe('create and follow', () => {
  it('the quality chosen sets the price shown and goes with the job', async () => {
    const page = await openStudio(user);
    await fillForm(page, { prompt: 'a windmill at dusk', numImages: 2, provider: 'mock' });
    await expect.poll(() => page.getByTestId('cost').textContent()).toContain('Costs 2 credits');
    await showAdvanced(page);
    await page.getByLabel('Quality').selectOption('high');
    await expect.poll(() => page.getByTestId('cost').textContent()).toContain('Costs 4 credits');
    await page.getByRole('button', { name: 'Generate' }).click();

    await expect
      .poll(async () => (await jobsWithPrompt(user, 'windmill dusk'))[0]?.quality ?? null, { timeout: 10_000 })
      .toBe('high');
    await page.context().close();
  });

  it('a submit answers at once with a queued card that then updates live, image by image, to its images', async () => {
    const page = await openStudio(user);
    await page.getByRole('radio', { name: 'Cover' }).check();
    await fillForm(page, { prompt: 'a paper boat on a pond', numImages: 3, provider: 'mock' });
    await expect.poll(() => page.getByTestId('cost').textContent()).toContain('Costs 3 credits');
    await screenshot(page, 'create-desktop');
    // Every status and image-slot state the card shows, recorded in the page as it changes.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      new MutationObserver(() => {
        const card = document.querySelector('[data-testid="job-card"]');
        if (!card || card.getAttribute('data-status') === 'loading') return;
        const slots = Array.from(card.querySelectorAll('[data-testid="image-slot"]'))
          .map((slot) => slot.getAttribute('data-status'))
          .join(',');
        const entry = `${card.getAttribute('data-status')}|${slots}`;
        if (seen.at(-1) !== entry) seen.push(entry);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.getByRole('button', { name: 'Generate' }).click();

    const card = cardFor(page, 'a paper boat on a pond');
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    // It was shown before it ran (the submit did not wait for the work), then each image in turn.
    expect(seen[0]).toMatch(/^(queued|running)\|/);
    expect(seen.some((entry) => /^running\|.*succeeded.*pending/.test(entry))).toBe(true);
    expect(await card.getByTestId('job-image').count()).toBe(3);
    await expect
      .poll(() =>
        card
          .getByTestId('job-image')
          .evaluateAll((els) => els.every((el) => (el as HTMLImageElement).naturalWidth > 0)),
      )
      .toBe(true);
    expect(await card.textContent()).toMatch(/Cover · 2:3 · 3 images/);
    await page.context().close();
  });

  it('runs several jobs side by side, cancels a queued one and a running one, and follows them again after a reload', async () => {
    const page = await openStudio(user);
    await fillForm(page, { prompt: 'a long running lantern parade', numImages: 8, provider: 'mock' });
    await page.getByRole('button', { name: 'Generate' }).click();
    const running = cardFor(page, 'a long running lantern parade');
    await expect.poll(() => running.getAttribute('data-status'), { timeout: 30_000 }).toBe('running');
    // One worker slot: these wait behind it.
    const queued = cardFor(page, 'a queued kite festival');
    const quick = cardFor(page, 'a quick moth study');
    await fillForm(page, { prompt: 'a queued kite festival', numImages: 2, provider: 'mock' });
    await page.getByRole('button', { name: 'Generate' }).click();
    await queued.waitFor();
    await fillForm(page, { prompt: 'a quick moth study', numImages: 2, provider: 'local' });
    await page.getByRole('button', { name: 'Generate' }).click();
    await quick.waitFor();
    await expect.poll(() => queued.getAttribute('data-status'), { timeout: 15_000 }).toBe('queued');
    await expect.poll(() => queued.textContent()).toMatch(/Queued · \d+ ahead|Next in line/);
    await expect.poll(() => quick.getAttribute('data-status')).toBe('queued');
    await screenshot(page, 'jobs-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'jobs-phone');
    await page.setViewportSize(DESKTOP);

    // A reload in the middle: the same cards come back and keep following.
    await page.reload();
    await expect.poll(() => running.getAttribute('data-status'), { timeout: 15_000 }).toBe('running');
    await expect.poll(() => running.textContent()).toMatch(/elapsed/);
    // Once an image is done, the card estimates the time left from the pace so far.
    await expect
      .poll(() => running.textContent(), { timeout: 15_000 })
      .toMatch(/Generating · [1-7]\/8 done.*~\d+ s left/);
    await expect.poll(() => queued.getAttribute('data-status')).toBe('queued');

    await queued.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => queued.getAttribute('data-status'), { timeout: 15_000 }).toBe('canceled');
    await running.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => running.getAttribute('data-status'), { timeout: 15_000 }).toBe('canceled');
    // The canceled running job keeps what it stored; the rest of its slots say canceled.
    expect(await running.locator('[data-testid="image-slot"][data-status="canceled"]').count()).toBeGreaterThan(0);
    // The quick job behind them then runs.
    await expect.poll(() => quick.getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    expect(await quick.getByTestId('job-image').count()).toBe(2);
    await page.context().close();
  });

  it('creates one job however often the form is sent (double click, Enter twice)', async () => {
    const page = await openStudio(user);
    await fillForm(page, { prompt: 'a single hummingbird', numImages: 1, provider: 'local' });
    await page.getByRole('button', { name: 'Generate' }).dblclick();
    await page.getByLabel('Prompt', { exact: true }).press('Control+Enter');
    await page.evaluate(() => {
      const form = document.querySelector('form.submit-form') as HTMLFormElement;
      form.requestSubmit();
      form.requestSubmit();
    });
    await expect
      .poll(() => cardFor(page, 'a single hummingbird').getAttribute('data-status'), { timeout: 30_000 })
      .toBe('succeeded');
    expect(await cardFor(page, 'a single hummingbird').count()).toBe(1);
    expect((await jobsWithPrompt(user, 'single hummingbird')).length).toBe(1);
    await page.context().close();
  });

  it('sends a batch of prompts, one job per line, grouped in history', async () => {
    const page = await openStudio(user);
    await page.getByRole('checkbox', { name: 'Generate several' }).check();
    await page.getByLabel('Prompts, one per line').fill('a red fox batch\n\na grey owl batch\na green frog batch\n');
    await page.getByLabel('Number of images per prompt').fill('1');
    await showAdvanced(page);
    await page.getByLabel('Provider').selectOption('local');
    await expect.poll(() => page.getByTestId('cost').textContent()).toContain('Costs 3 credits');
    await page.getByRole('button', { name: 'Generate 3 jobs' }).click();
    for (const prompt of ['a red fox batch', 'a grey owl batch', 'a green frog batch']) {
      await expect.poll(() => cardFor(page, prompt).getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    }
    const jobs = await jobsWithPrompt(user, 'batch');
    expect(jobs).toHaveLength(3);
    expect(new Set(jobs.map((job) => job.batchId)).size).toBe(1);
    await expect
      .poll(() => page.getByTestId('history-batch').first().getByTestId('history-item').count(), { timeout: 15_000 })
      .toBe(3);
    await page.context().close();
  });
});

describe('results', () => {
  it('opens images in a lightbox (arrows move, Esc closes), downloads a job as a zip, copies and remixes', async () => {
    const page = await openStudio(user);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stack.url });
    await fillForm(page, { prompt: 'a gallery of tide pools', numImages: 3, provider: 'local' });
    await page.getByRole('radio', { name: 'Photo' }).check();
    await showAdvanced(page);
    await page.getByLabel('Style (optional)').fill('watercolor');
    await page.getByRole('button', { name: 'Generate' }).click();
    const card = cardFor(page, 'a gallery of tide pools');
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    await expect.poll(() => card.getByTestId('job-image').count()).toBe(3);

    await card.getByRole('button', { name: 'Open image 1 large' }).click();
    const lightbox = page.getByTestId('lightbox');
    await lightbox.waitFor();
    expect(await page.getByTestId('lightbox-position').textContent()).toBe('1 / 3');
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => page.getByTestId('lightbox-position').textContent()).toBe('2 / 3');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getByTestId('lightbox-position').textContent()).toBe('3 / 3');
    await screenshot(page, 'lightbox-desktop', { fullPage: false });
    await page.setViewportSize(PHONE);
    await screenshot(page, 'lightbox-phone', { fullPage: false });
    await page.setViewportSize(DESKTOP);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('lightbox');
    // Tab cycles through the dialog's controls and never leaves it.
    for (let i = 0; i < 7; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => Boolean(document.activeElement?.closest('[data-testid="lightbox"]')))).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => lightbox.count()).toBe(0);
    // Focus goes back to the image that opened it, for keyboard users.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Open image 1 large');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      card.getByRole('button', { name: /Download all \(3\)/ }).click(),
    ]);
    const files = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
    expect(Object.keys(files).sort()).toEqual([1, 2, 3].map((n) => expect.stringMatching(new RegExp(`-${n}\\.png$`))));
    for (const bytes of Object.values(files))
      expect(Buffer.from(bytes.subarray(0, 4)).toString('latin1')).toBe('\x89PNG');

    await card.getByRole('button', { name: 'Copy prompt' }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('a gallery of tide pools');

    // Remix: the form takes the job's parameters, and they can be changed before submitting.
    await page.getByLabel('Prompt', { exact: true }).fill('');
    await card.getByRole('button', { name: 'Remix' }).click();
    await expect.poll(() => page.getByLabel('Prompt', { exact: true }).inputValue()).toBe('a gallery of tide pools');
    expect(await page.getByRole('radio', { name: 'Photo' }).isChecked()).toBe(true);
    expect(await page.getByLabel('Style (optional)').inputValue()).toBe('watercolor');
    expect(await page.getByLabel('Number of images').inputValue()).toBe('3');
    await page.getByLabel('Prompt', { exact: true }).fill('a remix of tide pools at night');
    await page.getByLabel('Number of images').fill('1');
    await page.getByRole('button', { name: 'Generate' }).click();
    const remix = cardFor(page, 'a remix of tide pools at night');
    await expect.poll(() => remix.getAttribute('data-status'), { timeout: 30_000 }).toBe('succeeded');
    expect(await remix.textContent()).toMatch(/Photo · 3:2 · 1 image/);
    await page.context().close();
  });
});

describe('history', () => {
  it('filters by project, preset, status and prompt words, and pages with "Load more"', async () => {
    for (let i = 0; i < 12; i++) {
      await trpc(
        stack.url,
        'jobs.create',
        {
          prompt: i === 3 ? 'a lighthouse in fog' : `history entry ${i}`,
          preset: i % 4 === 0 ? 'cover' : 'illustration',
          projectId: 'atlas',
          provider: 'local',
        },
        'mutation',
        user.apiKey,
      );
    }
    const page = await openStudio(user);
    const items = page.getByTestId('history-item');
    const filters = page.getByRole('search', { name: 'Filter history' });
    await filters.getByLabel('Project').selectOption('atlas');
    await expect.poll(() => items.count(), { timeout: 15_000 }).toBe(10);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => items.count()).toBe(12);
    await expect.poll(() => page.getByRole('button', { name: 'Load more' }).count()).toBe(0);

    await filters.getByLabel('Preset').selectOption('cover');
    await expect.poll(() => items.count()).toBe(3);
    await filters.getByLabel('Search prompts').fill('lighthouses');
    await filters.getByLabel('Preset').selectOption('');
    await expect.poll(() => items.allTextContents()).toEqual([expect.stringContaining('a lighthouse in fog')]);
    await screenshot(page, 'history-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'history-phone');
    await page.setViewportSize(DESKTOP);

    // Nothing was made tomorrow; everything of the project was made today.
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toLocaleDateString('en-CA');
    await filters.getByLabel('Search prompts').fill('');
    await filters.getByLabel('From').fill(day(1));
    await expect.poll(() => page.getByText('No jobs match these filters.').count()).toBe(1);
    await filters.getByLabel('From').fill(day(0));
    await filters.getByLabel('To').fill(day(0));
    await expect.poll(() => items.count()).toBe(10);

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await filters.getByLabel('Status').selectOption('canceled');
    await expect
      .poll(() => items.evaluateAll((els) => els.map((el) => el.getAttribute('data-status'))))
      .toEqual(['canceled', 'canceled']);
    // A click opens a past job as a card.
    await filters.getByLabel('Status').selectOption('');
    await filters.getByLabel('Search prompts').fill('lighthouse');
    await expect.poll(() => items.count()).toBe(1);
    await items.first().getByRole('button').click();
    await expect.poll(() => cardFor(page, 'a lighthouse in fog').count()).toBe(1);
    await page.context().close();
  });
});

describe('admin', () => {
  it("shows admins the queue, workers and everyone's usage, and hides the tab from others", async () => {
    const mine = await openStudio(user);
    expect(await tab(mine, 'Admin').count()).toBe(0);
    await mine.context().close();

    const page = await openStudio(admin);
    await tab(page, 'Admin').click();
    await expect
      .poll(() => page.getByTestId('system-status').textContent(), { timeout: 15_000 })
      .toMatch(/System (healthy|warning|critical)/);
    await expect.poll(() => page.getByTestId('workers-alive').textContent()).toBe('1');
    await expect.poll(() => page.locator('[data-testid="worker-row"][data-alive="true"]').count()).toBe(1);
    await expect.poll(() => page.getByTestId('admin').textContent()).toMatch(/Active users/);
    // The last hour as charts (canvas, drawn by the charting library), and the recent failures.
    for (const chart of ['queue-chart', 'outcome-chart']) {
      await expect.poll(() => page.getByTestId(chart).locator('canvas').count()).toBeGreaterThan(0);
    }
    await expect
      .poll(() => page.getByTestId('queue-chart').locator('.u-legend').textContent())
      .toMatch(/urgent.*high.*normal.*low/s);
    await expect.poll(() => page.getByRole('heading', { name: 'Recent failures' }).count()).toBe(1);
    await screenshot(page, 'admin-desktop');
    await page.setViewportSize(PHONE);
    await screenshot(page, 'admin-phone');
    await tab(page, 'Usage & credits').click();
    await page.getByTestId('credit-balance').waitFor();
    await screenshot(page, 'usage-phone');
    await tab(page, 'API keys').click();
    await page.getByLabel('Key name').waitFor();
    await screenshot(page, 'api-keys-phone');
    await tab(page, 'Create').click();
    await screenshot(page, 'create-phone');
    await page.setViewportSize(DESKTOP);
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'create-dark-desktop');
    await page.context().close();
  });
});
