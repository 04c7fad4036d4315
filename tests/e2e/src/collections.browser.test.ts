/**
 * Collections (boards), issue 19 point 2: made from a gallery tile, filled from the gallery's selection
 * and the image view, shown as their own gallery at /collections/:id, renamed, an image taken out, and
 * deleted without deleting an image; another account's collection is not found. Saves the README's
 * collection screenshot.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CollectionListView, GalleryListView, JobView } from '@darkroom/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.js';
import { closeBrowser, launchBrowser, openSignedIn, screenshot } from './browser.js';
import { eventually, signUp, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-collections-'));
let stack: Stack;
let browser: Browser;
let user: Awaited<ReturnType<typeof signUp>>;
let stranger: Awaited<ReturnType<typeof signUp>>;
const jobs: JobView[] = [];
beforeAll(async () => {
  stack = await startStack(dataDir);
  browser = await launchBrowser();
  await signUp(stack.url, 'admin@example.com');
  user = await signUp(stack.url, 'boards@example.com');
  stranger = await signUp(stack.url, 'stranger@example.com');
  for (const prompt of ['a lighthouse at dusk, ink', 'a paper boat on a pond'])
    jobs.push(
      await trpc<JobView>(
        stack.url,
        'jobs.create',
        { prompt, numImages: 2, provider: 'local' },
        'mutation',
        user.apiKey,
      ),
    );
  for (const job of jobs)
    await eventually(async () => {
      const view = await trpc<JobView>(stack.url, 'jobs.get', { id: job.id }, 'query', user.apiKey);
      return view.status === 'succeeded' ? view : null;
    }, 60_000);
});
afterAll(async () => {
  await closeBrowser(browser);
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const tiles = (page: Page) => page.getByTestId('gallery-tile');
const collections = (apiKey = user.apiKey) =>
  trpc<CollectionListView>(stack.url, 'collections.list', {}, 'query', apiKey);

describe('collections', () => {
  it('makes a collection from a tile, fills it from the selection and the image view, renames and deletes it', async () => {
    const page = await openSignedIn(browser, stack.url, user);
    await page.goto(`${stack.url}/gallery`);
    await expect.poll(() => tiles(page).count(), { timeout: 15_000 }).toBe(4);

    // From one tile: a new collection, made and filled in one step.
    const lighthouse = tiles(page).filter({ hasText: 'lighthouse' }).first();
    await lighthouse.getByLabel(/^Collect /).click();
    await lighthouse.getByLabel('New collection').fill('Harbour');
    await lighthouse.getByRole('button', { name: 'Create and add' }).click();
    await expect.poll(() => lighthouse.getByRole('status').textContent()).toBe('1 image in Harbour');

    // From the selection: both boats at once.
    await page.getByRole('button', { name: 'Select', exact: true }).click();
    for (const tile of await tiles(page).filter({ hasText: 'paper boat' }).all())
      await tile.getByRole('checkbox').check();
    const bar = page.getByRole('region', { name: 'Selected images' });
    await bar.getByText('Add to collection', { exact: true }).click();
    await bar.getByRole('button', { name: 'Add to Harbour' }).click();
    await expect.poll(() => bar.getByRole('status').last().textContent()).toBe('2 images in Harbour');
    await expect.poll(async () => (await collections())[0]?.images).toBe(3);

    // The list, then the collection at its own address, which survives a reload.
    await page.getByRole('navigation', { name: 'Gallery views' }).getByRole('link', { name: 'Collections' }).click();
    const card = page.getByTestId('collection-tile').filter({ hasText: 'Harbour' });
    await expect.poll(() => card.textContent()).toContain('3 images');
    await card.getByRole('link').click();
    const [board] = await collections();
    await expect.poll(() => page.evaluate(() => location.pathname)).toBe(`/collections/${board!.id}`);
    await page.reload();
    await expect.poll(() => tiles(page).count(), { timeout: 15_000 }).toBe(3);
    expect(await page.title()).toBe('Harbour · Darkroom');
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await seriousViolations(page)).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
    await screenshot(page, 'collection-desktop', { fullPage: false });

    // Take one out: it leaves the collection, not the gallery.
    const out = tiles(page).filter({ hasText: 'lighthouse' });
    await out.getByRole('button', { name: /^Take out of this collection/ }).click();
    await expect.poll(() => tiles(page).count()).toBe(2);

    await page.getByRole('button', { name: 'Rename', exact: true }).click();
    await page.getByLabel('New name').fill('Boats');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 2 }).first().textContent()).toBe('Boats');

    // The image view: a checkbox per collection, ticked where the image is.
    const boat = jobs[1]!.images[0]!.id;
    await page.goto(`${stack.url}/gallery/${boat}`);
    await page.getByLabel('Collections for this image').click();
    const tick = page.getByRole('checkbox', { name: 'Boats' });
    await expect.poll(() => tick.isChecked(), { timeout: 15_000 }).toBe(true);
    // The tick follows the server's answer, not the click.
    await tick.click();
    await expect.poll(() => tick.isChecked()).toBe(false);
    expect((await collections())[0]?.images).toBe(1);

    // Deleting asks, then leaves every image in the gallery.
    await page.goto(`${stack.url}/collections/${board!.id}`);
    await expect.poll(() => tiles(page).count(), { timeout: 15_000 }).toBe(1);
    page.once('dialog', (dialog) => {
      expect(dialog.message()).toBe('Delete the collection Boats? Its images stay in your gallery.');
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Delete collection' }).click();
    await expect.poll(() => page.evaluate(() => location.pathname)).toBe('/collections');
    await expect.poll(() => page.getByText('No collections yet.').count()).toBe(1);
    expect(await collections()).toEqual([]);
    const gallery = await trpc<GalleryListView>(stack.url, 'gallery.list', { limit: 100 }, 'query', user.apiKey);
    expect(gallery.items).toHaveLength(4);
    await page.context().close();
  });

  it("shows another account's collection as not found, without its name", async () => {
    const board = await trpc<{ id: string }>(
      stack.url,
      'collections.create',
      { name: 'Private plans' },
      'mutation',
      user.apiKey,
    );
    const page = await openSignedIn(browser, stack.url, stranger);
    await page.goto(`${stack.url}/collections/${board.id}`);
    await expect.poll(() => page.locator('.form-error').textContent(), { timeout: 15_000 }).toMatch(/not found/i);
    expect(await page.content()).not.toContain('Private plans');
    expect(await collections(stranger.apiKey)).toEqual([]);
    await page.context().close();
  });
});
