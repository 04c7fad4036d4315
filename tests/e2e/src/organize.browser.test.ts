/**
 * Organizing the gallery and moving through images (issue 19, points 2 and 3): selecting images to
 * download as one zip or remove after asking, moving them to a new project and renaming it; in the image
 * view, fast arrow presses that each count, a swipe and a pinch on touch. Saves the README's gallery,
 * image view and phone screenshots.
 */
import { readFileSync } from 'node:fs';
import type { GalleryListView, JobView } from '@darkroom/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.js';
import { DESKTOP, openSignedIn, PHONE, screenshot } from './browser.js';
import { startGalleryStack, type GalleryStack } from './gallery-stack.js';
import { trpc, type Stack } from './stack.js';

let setup: GalleryStack | undefined;
let stack: Stack;
let browser: Browser;
let user: GalleryStack['user'];
let jobs: JobView[];
const PROMPTS = ['a lighthouse at dusk, ink', 'a fox in the snow', 'a paper boat on a pond'];
beforeAll(async () => {
  setup = await startGalleryStack(
    'organize',
    PROMPTS.map((prompt, i) => ({ prompt, numImages: i === 0 ? 5 : 2, provider: 'local', style: 'watercolor' })),
  );
  ({ stack, browser, user, jobs } = setup);
});
afterAll(() => setup?.stop());

const tiles = (page: Page) => page.getByTestId('gallery-tile');
const gallery = (input: object = {}) =>
  trpc<GalleryListView>(stack.url, 'gallery.list', { limit: 100, ...input }, 'query', user.apiKey);

describe('gallery selection and projects', () => {
  it('downloads a selection as one zip, moves it to a new project, renames the project, removes after asking', async () => {
    const page = await openSignedIn(browser, stack.url, user, { acceptDownloads: true });
    await page.goto(`${stack.url}/gallery`);
    await expect.poll(() => tiles(page).count(), { timeout: 15_000 }).toBe(9);
    await page.getByRole('button', { name: 'Select', exact: true }).click();
    const boats = tiles(page).filter({ hasText: 'paper boat' });
    for (const tile of await boats.all()) await tile.getByRole('checkbox').check();
    await expect.poll(() => page.getByTestId('selection-count').textContent()).toBe('2 images selected');
    await screenshot(page, 'gallery-desktop', { fullPage: false });

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download 2 as zip' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('darkroom-2-images.zip');
    const zip = readFileSync((await download.path())!);
    // A zip's central directory has one header (PK\1\2) per file.
    expect(zip.subarray(0, 2).toString()).toBe('PK');
    expect(zip.toString('latin1').split('PK\x01\x02').length - 1).toBe(2);

    await page.getByLabel('Move to project').fill('Harbour');
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    const bar = page.getByRole('region', { name: 'Selected images' });
    await expect.poll(() => bar.getByRole('status').textContent()).toBe('1 job moved to Harbour');
    await page.getByLabel('Project', { exact: true }).selectOption('Harbour');
    await expect.poll(() => tiles(page).count(), { timeout: 15_000 }).toBe(2);

    await page.getByRole('button', { name: 'Rename project' }).click();
    await page.getByLabel('New name').fill('Harbour at night');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.evaluate(() => location.search)).toBe('?project=Harbour+at+night');
    await expect.poll(() => tiles(page).count(), { timeout: 15_000 }).toBe(2);
    expect((await gallery({ projectId: 'Harbour at night' })).items).toHaveLength(2);

    // Removing asks first; saying no removes nothing.
    page.once('dialog', (dialog) => void dialog.dismiss());
    await page.getByRole('button', { name: 'Select all shown' }).click();
    await page.getByRole('button', { name: 'Remove 2' }).click();
    await expect.poll(() => tiles(page).count()).toBe(2);
    expect((await gallery()).items).toHaveLength(9);
    page.once('dialog', (dialog) => {
      expect(dialog.message()).toBe('Remove 2 images from your gallery? Their jobs keep them.');
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Remove 2' }).click();
    await expect.poll(() => tiles(page).count(), { timeout: 15_000 }).toBe(0);
    expect((await gallery()).items.map((image) => image.jobId)).not.toContain(jobs[2]!.id);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await seriousViolations(page)).toEqual([]);
    }
    await page.context().close();
  });
});

describe('image view', () => {
  it('lands three images on after ArrowRight pressed three times in one go', async () => {
    const ids = jobs[0]!.images.map((image) => image.id);
    const page = await openSignedIn(browser, stack.url, user);
    await page.goto(`${stack.url}/gallery/${ids[0]}`);
    const heading = page.getByTestId('image-view').getByRole('heading', { level: 2 });
    await expect.poll(() => heading.textContent()).toBe('Image 1');
    await page.getByRole('navigation', { name: 'Images of this job' }).waitFor();
    // Three presses within one task: no render can happen between them, as with a held or fast key.
    await page.evaluate(() => {
      for (let i = 0; i < 3; i++)
        document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    });
    await expect.poll(() => page.evaluate(() => location.pathname)).toBe(`/gallery/${ids[3]}`);
    await expect.poll(() => heading.textContent()).toBe('Image 4');
    // And real key presses sent back to back, without waiting for each page.
    await Promise.all([0, 1, 2].map(() => page.keyboard.press('ArrowLeft')));
    await expect.poll(() => page.evaluate(() => location.pathname)).toBe(`/gallery/${ids[0]}`);
    await screenshot(page, 'image-view-desktop', { fullPage: false });
    await page.context().close();
  });

  it('swipes to the next and previous image and pinch-zooms on a touch phone', async () => {
    const ids = jobs[0]!.images.map((image) => image.id);
    const context = await browser.newContext({ viewport: PHONE, hasTouch: true, isMobile: true });
    await context.addCookies([{ ...user.cookie, url: stack.url }]);
    const page = await context.newPage();
    await page.goto(`${stack.url}/gallery/${ids[1]}`);
    const heading = page.getByTestId('image-view').getByRole('heading', { level: 2 });
    await expect.poll(() => heading.textContent(), { timeout: 15_000 }).toBe('Image 2');
    await page.getByRole('navigation', { name: 'Images of this job' }).waitFor();
    const frame = page.getByTestId('image-frame');
    const box = (await frame.boundingBox())!;
    const cdp = await context.newCDPSession(page);
    const y = box.y + box.height / 2;
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', points: { x: number; y: number }[]) =>
      cdp.send('Input.dispatchTouchEvent', {
        type,
        touchPoints: points.map((point, id) => ({ ...point, id })),
      });
    const swipe = async (from: number, to: number) => {
      await touch('touchStart', [{ x: from, y }]);
      for (let step = 1; step <= 5; step++) await touch('touchMove', [{ x: from + ((to - from) * step) / 5, y }]);
      await touch('touchEnd', []);
    };

    await swipe(box.x + box.width - 30, box.x + 30);
    await expect.poll(() => heading.textContent()).toBe('Image 3');
    await swipe(box.x + 30, box.x + box.width - 30);
    await expect.poll(() => heading.textContent()).toBe('Image 2');
    // A short move is not a swipe.
    await swipe(box.x + 100, box.x + 120);
    await page.waitForTimeout(300);
    expect(await heading.textContent()).toBe('Image 2');

    const cx = box.x + box.width / 2;
    await touch('touchStart', [
      { x: cx - 20, y },
      { x: cx + 20, y },
    ]);
    for (let step = 1; step <= 5; step++)
      await touch('touchMove', [
        { x: cx - 20 - step * 16, y },
        { x: cx + 20 + step * 16, y },
      ]);
    await touch('touchEnd', []);
    await expect.poll(async () => Number(await frame.getAttribute('data-scale'))).toBeGreaterThan(2.5);
    // Zoomed in, a swipe pans the image instead of leaving it.
    await swipe(box.x + box.width - 30, box.x + 30);
    await page.waitForTimeout(300);
    expect(await heading.textContent()).toBe('Image 2');
    await cdp.detach();
    await context.close();
  });

  it('fits a phone: the gallery and the image view, for the README', async () => {
    const page = await openSignedIn(browser, stack.url, user, { viewport: PHONE });
    await page.goto(`${stack.url}/gallery`);
    await expect.poll(() => tiles(page).count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    // The first screenful of thumbnails drawn, for the picture.
    await expect
      .poll(() =>
        page.evaluate(() =>
          Array.from(document.querySelectorAll<HTMLImageElement>('.gallery-grid img'))
            .slice(0, 4)
            .every((image) => image.complete && image.naturalWidth > 0),
        ),
      )
      .toBe(true);
    await screenshot(page, 'gallery-phone', { fullPage: false });
    await page.setViewportSize(DESKTOP);
    await page.context().close();
  });
});
