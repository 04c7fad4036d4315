/**
 * Every view at its own address, in both themes, at desktop and phone width (issue 19, points 1, 7, 8,
 * 9; audit defects 2, 3, 5, 6, 13, 15, 16): routes, titles, Back and Forward, a deep link through sign-in,
 * compressed and cached assets with the admin view in its own chunk, the theme switch, a compact phone
 * header and pages that fit 390 px, and axe-core with no serious or critical violation anywhere.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobView } from '@darkroom/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.js';
import { DESKTOP, closeBrowser, launchBrowser, openSignedIn, PHONE } from './browser.js';
import { eventually, signUp, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-views-'));
let stack: Stack;
let browser: Browser;
let admin: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  // Mock images take 4 s and are refused half the time: cards running, failed, partly done and done.
  stack = await startStack(dataDir, { MOCK_LATENCY_MS: '4000', MOCK_FAILURES: 'content_filtered:0.5' });
  browser = await launchBrowser();
  admin = await signUp(stack.url, 'admin@example.com');
});
afterAll(async () => {
  await closeBrowser(browser);
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const nav = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true });
const where = (page: Page) => page.evaluate(() => [location.pathname, document.title] as const);

const create = (input: Record<string, unknown>) =>
  trpc<JobView>(stack.url, 'jobs.create', input, 'mutation', admin.apiKey);
const ended = (id: string) =>
  eventually(async () => {
    const view = await trpc<JobView>(stack.url, 'jobs.get', { id }, 'query', admin.apiKey);
    return ['succeeded', 'failed', 'canceled'].includes(view.status) ? view : null;
  }, 60_000);

// A collection of two finished images, made once for the views that show collections.
let board: Promise<string> | undefined;
const aBoard = () =>
  (board ??= (async () => {
    const job = await ended((await create({ prompt: 'a harbour at noon', numImages: 2, provider: 'local' })).id);
    const { id } = await trpc<{ id: string }>(
      stack.url,
      'collections.create',
      { name: 'Harbour studies' },
      'mutation',
      admin.apiKey,
    );
    const imageIds = job.images.map((image) => image.id);
    await trpc(stack.url, 'collections.add', { id, imageIds }, 'mutation', admin.apiKey);
    return id;
  })());

describe('routes (defects 5, 13)', () => {
  it('every view has its own address and title; Back and Forward move between them; a reload stays', async () => {
    const page = await openSignedIn(browser, stack.url, admin);
    expect(await where(page)).toEqual(['/', 'Create · Darkroom']);
    const steps: [string, string, string][] = [
      ['Gallery', '/gallery', 'Gallery · Darkroom'],
      ['History', '/history', 'History · Darkroom'],
      ['Usage & credits', '/usage', 'Usage & credits · Darkroom'],
      ['API keys', '/keys', 'API keys · Darkroom'],
      ['Admin', '/admin', 'Admin · Darkroom'],
    ];
    for (const [link, pathname, title] of steps) {
      await nav(page, link).click();
      await expect.poll(() => where(page)).toEqual([pathname, title]);
      expect(await nav(page, link).getAttribute('aria-current')).toBe('page');
      // One main landmark on every page, and a skip link to it (defect 13).
      expect(await page.locator('main').count()).toBe(1);
      expect(await page.getByRole('link', { name: 'Skip to the page' }).getAttribute('href')).toBe('#main');
    }
    await page.goBack();
    await page.goBack();
    await expect.poll(() => where(page)).toEqual(['/usage', 'Usage & credits · Darkroom']);
    await page.getByTestId('credit-balance').waitFor();
    await page.goForward();
    await expect.poll(() => where(page)).toEqual(['/keys', 'API keys · Darkroom']);
    await page.reload();
    await page.getByLabel('Key name').waitFor();
    expect(await where(page)).toEqual(['/keys', 'API keys · Darkroom']);

    await page.goto(`${stack.url}/no-such-page`);
    await page.getByRole('heading', { name: 'Nothing here' }).waitFor();
    await page.context().close();
  });

  it('a deep link survives sign-in: log in at /usage and land on /usage', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${stack.url}/usage`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(await page.locator('main').count()).toBe(1);
    await page.getByLabel('Email').fill('admin@example.com');
    await page.getByLabel('Password').fill('an e2e password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('credit-balance').waitFor();
    expect(await where(page)).toEqual(['/usage', 'Usage & credits · Darkroom']);
    await context.close();
  });
});

describe('title (point 4)', () => {
  it('counts the jobs in progress first in the title, and drops the count when they end', async () => {
    const page = await openSignedIn(browser, stack.url, admin);
    expect(await page.title()).toBe('Create · Darkroom');
    const job = await create({ prompt: 'a slow windmill', numImages: 4, provider: 'mock' });
    await expect.poll(() => page.title(), { timeout: 15_000 }).toBe('(1) Create · Darkroom');
    await ended(job.id);
    await expect.poll(() => page.title(), { timeout: 15_000 }).toBe('Create · Darkroom');
    await page.context().close();
  });
});

describe('delivery (defect 15)', () => {
  it('serves hashed assets brotli-compressed and immutable, the page not cached, admin in its own chunk', async () => {
    const html = await (await fetch(`${stack.url}/`, { headers: { accept: 'text/html' } })).text();
    const script = html.match(/src="(\/assets\/index-[\w-]+\.js)"/)?.[1];
    const style = html.match(/href="(\/assets\/index-[\w-]+\.css)"/)?.[1];
    expect(script && style).toBeTruthy();
    for (const asset of [script!, style!]) {
      const response = await fetch(`${stack.url}${asset}`, { headers: { 'accept-encoding': 'br' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-encoding')).toBe('br');
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      await response.arrayBuffer();
    }
    const page = await fetch(`${stack.url}/history`, { headers: { accept: 'text/html', 'accept-encoding': 'gzip' } });
    expect(page.headers.get('cache-control')).toBe('no-cache');
    await page.text();

    // The admin view (and its charting library) loads only when it is opened.
    const browserPage = await openSignedIn(browser, stack.url, admin);
    const scripts: string[] = [];
    browserPage.on('request', (request) => {
      if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
    });
    await browserPage.reload();
    await browserPage.getByTestId('account-email').waitFor();
    expect(scripts.filter((file) => /AdminPage/.test(file))).toEqual([]);
    await nav(browserPage, 'Admin').click();
    await browserPage.getByTestId('system-status').waitFor();
    expect(scripts.filter((file) => /AdminPage/.test(file))).toHaveLength(1);
    await browserPage.context().close();
  });
  // The landing page's start-up script, measured 2026-12-05 at 309.0 kB (react-dom, TanStack Query, tRPC,
  // the sign-up form) once zod and the schemas moved to load at the form's first touch; before, 408.6 kB
  // with zod and 493 kB with the studio. The margin is ~8 %.
  const LANDING_SCRIPT_BUDGET = 335_000;
  // The name of zod's error class, kept by the minifier as a string: a script that holds it holds zod.
  const ZOD_MARKER = '$ZodError';
  const zodHasRun = (page: Page) => page.evaluate(() => '__zod_globalRegistry' in globalThis);

  it('gives the signed-out landing page only its own script, without zod: schemas at first touch, studio at typing', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    // Every CSP violation the page reports: zod's eval probe is one if its guard runs after zod builds a schema.
    await page.addInitScript(() => {
      const seen: string[] = [];
      Object.assign(window, { cspViolations: seen });
      document.addEventListener('securitypolicyviolation', (event) =>
        seen.push(`${event.violatedDirective} ${event.blockedURI}`),
      );
    });
    const scripts: string[] = [];
    page.on('request', (request) => {
      if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
    });
    const text = async (file: string) => (await fetch(`${stack.url}${file}`)).text();
    await page.goto(stack.url);
    await page.getByRole('heading', { level: 2 }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toMatch(/^\/assets\/index-[\w-]+\.js$/);
    const entry = await text(scripts[0]!);
    expect(Buffer.byteLength(entry)).toBeLessThan(LANDING_SCRIPT_BUDGET);
    expect(entry).not.toContain(ZOD_MARKER);
    expect(await zodHasRun(page)).toBe(false);

    // Focus alone brings the schemas (and zod), before anything is typed.
    await page.getByLabel('Email').focus();
    await expect.poll(() => zodHasRun(page)).toBe(true);
    const late = await Promise.all(scripts.slice(1).map(text));
    // The marker finds zod where it is, so its absence above means something.
    expect(late.some((source) => source.includes(ZOD_MARKER))).toBe(true);
    // The studio comes once someone starts typing, ahead of signing in.
    await page.getByLabel('Email').fill('x');
    await expect.poll(() => scripts.some((file) => /\/SignedIn-/.test(file))).toBe(true);
    // The form checks with those schemas, in words, and zod's eval probe never ran into the CSP.
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByText('Enter an email address, like name@example.com.').count()).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    await context.close();
  });

  it('paints the landing page with the stylesheet in the HTML: styled with scripts off, no stylesheet fetched', async () => {
    // Scripts off: what shows is what the HTML alone paints, before any script runs.
    const context = await browser.newContext({ viewport: DESKTOP, colorScheme: 'dark', javaScriptEnabled: false });
    const page = await context.newPage();
    const sheets: string[] = [];
    page.on('request', (request) => {
      if (request.resourceType() === 'stylesheet') sheets.push(new URL(request.url()).pathname);
    });
    await page.goto(stack.url);
    await page.waitForLoadState('networkidle');
    expect(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe(
      'rgb(20, 19, 18)',
    );
    expect(sheets).toEqual([]);
    await context.close();

    // With scripts, neither the landing page nor the studio's chunks fetch the inlined stylesheet again.
    const signedIn = await openSignedIn(browser, stack.url, admin);
    signedIn.on('request', (request) => {
      if (request.resourceType() === 'stylesheet') sheets.push(new URL(request.url()).pathname);
    });
    await signedIn.goto(`${stack.url}/admin`);
    await signedIn.getByTestId('system-status').waitFor();
    await signedIn.waitForLoadState('networkidle');
    expect(sheets.filter((sheet) => /\/index-/.test(sheet))).toEqual([]);
    await signedIn.context().close();
  });
});

describe('theme and phone (defects 2, 6, 16)', () => {
  const palette = (page: Page) =>
    page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--bad').trim());

  it('switches light, dark and system, and keeps the choice', async () => {
    const page = await openSignedIn(browser, stack.url, admin);
    await page.emulateMedia({ colorScheme: 'light' });
    expect(await palette(page)).toBe('#b3261e');
    await page.getByLabel('Theme').selectOption('dark');
    expect(await palette(page)).toBe('#ff8a80');
    await page.reload();
    await page.getByTestId('account-email').waitFor();
    expect(await palette(page)).toBe('#ff8a80');
    expect(await page.getByLabel('Theme').inputValue()).toBe('dark');

    await page.getByLabel('Theme').selectOption('system');
    expect(await palette(page)).toBe('#b3261e');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await palette(page)).toBe('#ff8a80');
    await page.getByLabel('Theme').selectOption('light');
    expect(await palette(page)).toBe('#b3261e');
    await page.context().close();
  });

  it('on a phone the header is compact and no view scrolls sideways, the admin page included', async () => {
    const boardId = await aBoard();
    const page = await openSignedIn(browser, stack.url, admin, { viewport: PHONE });
    const collection = `/collections/${boardId}`;
    for (const pathname of ['/', '/gallery', '/history', '/usage', '/keys', '/admin', '/collections', collection]) {
      await page.goto(`${stack.url}${pathname}`);
      await page.getByTestId('account-email').waitFor();
      if (pathname === '/admin') await page.getByTestId('system-status').waitFor();
      if (pathname === '/collections') await page.getByTestId('collection-tile').first().waitFor();
      if (pathname === collection) await page.getByTestId('gallery-tile').nth(1).waitFor();
      const { width, header } = await page.evaluate(() => ({
        width: document.documentElement.scrollWidth,
        header: document.querySelector('.app-header')!.getBoundingClientRect().height,
      }));
      expect(width, pathname).toBeLessThanOrEqual(PHONE.width);
      expect(header, pathname).toBeLessThanOrEqual(100);
    }
    await page.context().close();
  });
});

describe('axe-core on every view, light and dark, desktop and phone (defects 2, 3, 6, 13)', () => {
  it('finds no serious or critical violation', async () => {
    // Cards in every state: done (local), refused, done and partly done (mock, ended), and one running.
    // The mock's draw is per (prompt, image seed, attempt): these seeds refuse the koi pond, pass the
    // pond at night and refuse the heron's second image, on every run.
    const made = await Promise.all([
      create({ prompt: 'a harbour at dawn', numImages: 2, provider: 'local' }),
      create({ prompt: 'a koi pond', numImages: 1, provider: 'mock', seed: 2 }),
      create({ prompt: 'a koi pond at night', numImages: 1, provider: 'mock', seed: 3 }),
      create({ prompt: 'a heron in reeds', numImages: 3, provider: 'mock', seed: 1 }),
    ]);
    const statuses = (await Promise.all(made.map((job) => ended(job.id)))).map((view) => view.status);
    expect(statuses).toEqual(['succeeded', 'failed', 'succeeded', 'succeeded']);
    const boardId = await aBoard();
    const running = await create({ prompt: 'a slow lighthouse', numImages: 8, provider: 'mock' });
    const followed = [running, ...made].map((job) => job.id);

    const problems: string[] = [];
    for (const viewport of [DESKTOP, PHONE]) {
      for (const scheme of ['light', 'dark'] as const) {
        const context = await browser.newContext({ viewport, colorScheme: scheme });
        const anonymous = await context.newPage();
        await anonymous.goto(stack.url);
        await anonymous.getByLabel('Email').fill('admin@example.com');
        await anonymous.getByLabel('Password').fill('not the password');
        await anonymous.getByRole('button', { name: 'Log in' }).click();
        await anonymous.getByTestId('auth-error').waitFor();
        for (const problem of await seriousViolations(anonymous))
          problems.push(`log-in refused ${scheme} ${viewport.width}: ${problem}`);
        await anonymous.getByRole('button', { name: 'Create an account' }).click();
        await anonymous.getByLabel('Email').fill('');
        await anonymous.getByLabel('Password').fill('short');
        await anonymous.getByRole('button', { name: 'Sign up' }).click();
        await anonymous.locator('.field-error').first().waitFor();
        for (const problem of await seriousViolations(anonymous))
          problems.push(`sign-up ${scheme} ${viewport.width}: ${problem}`);
        await context.close();

        const page = await openSignedIn(browser, stack.url, admin, { viewport });
        await page.emulateMedia({ colorScheme: scheme });
        await page.evaluate((ids) => localStorage.setItem('darkroom.followedJobs', JSON.stringify(ids)), followed);
        const views: [string, () => Promise<unknown>][] = [
          ['/', () => page.locator('[data-testid="job-card"][data-status="failed"]').first().waitFor()],
          ['/history', () => page.getByTestId('history-item').first().waitFor()],
          ['/gallery', () => page.getByTestId('gallery-tile').first().waitFor()],
          [`/jobs/${made[3]!.id}`, () => page.getByTestId('job-badge').waitFor()],
          ['/usage', () => page.getByTestId('ledger-line').first().waitFor()],
          ['/keys', () => page.getByLabel('Key name').waitFor()],
          ['/admin', () => page.getByTestId('failure-row').first().waitFor()],
          ['/collections', () => page.getByTestId('collection-tile').first().waitFor()],
          [`/collections/${boardId}`, () => page.getByTestId('gallery-tile').nth(1).waitFor()],
        ];
        for (const [pathname, ready] of views) {
          await page.goto(`${stack.url}${pathname}`);
          await ready();
          for (const problem of await seriousViolations(page))
            problems.push(`${pathname} ${scheme} ${viewport.width}: ${problem}`);
        }
        await page.context().close();
      }
    }
    expect(problems).toEqual([]);
  }, 300_000);
});
