/**
 * Image inputs in the web app (issue 16; issue 19 point 4): a photo is uploaded from the form, a mask
 * painted on it with the mouse, the job run with `local`, and the result changed only where the mask
 * was painted (pixels compared with sharp); the same at phone width; Vary and Edit region from the image
 * view record their parent; Generate stays above the fold; axe on the new UI in light and dark.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobView } from '@darkroom/core';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seriousViolations } from './axe.js';
import { DESKTOP, closeBrowser, launchBrowser, openSignedIn, PHONE, screenshot } from './browser.js';
import { eventually, signUp, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-inputs-'));
const WIDTH = 320;
const HEIGHT = 240;
let stack: Stack;
let browser: Browser;
let user: Awaited<ReturnType<typeof signUp>>;
let photo: Buffer;

/** A "photo": smooth colour gradients with some texture, so a regenerated area cannot look the same. */
async function makePhoto(): Promise<Buffer> {
  const raw = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++)
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 3;
      raw[i] = (x * 255) / WIDTH;
      raw[i + 1] = (y * 255) / HEIGHT;
      raw[i + 2] = 128 + 60 * Math.sin(x / 7) * Math.cos(y / 5);
    }
  return sharp(raw, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .png()
    .toBuffer();
}

beforeAll(async () => {
  stack = await startStack(dataDir);
  browser = await launchBrowser();
  await signUp(stack.url, 'admin@example.com');
  user = await signUp(stack.url, 'inputs@example.com');
  photo = await makePhoto();
});
afterAll(async () => {
  await closeBrowser(browser);
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const auth = () => ({ authorization: `Bearer ${user.apiKey}` });
async function rgb(url: string): Promise<{ data: Buffer; width: number; height: number }> {
  const response = await fetch(`${stack.url}${url}`, { headers: auth() });
  expect(response.status).toBe(200);
  const { data, info } = await sharp(Buffer.from(await response.arrayBuffer()))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
const finished = (jobId: string) =>
  eventually(async () => {
    const view = await trpc<JobView>(stack.url, 'jobs.get', { id: jobId }, 'query', user.apiKey);
    return view.status === 'succeeded' ? view : null;
  }, 60_000);

/** The mouse stroke, in fractions of the picture: across the upper middle. */
const STROKE = { from: [0.25, 0.35], to: [0.6, 0.35] } as const;
/** The form's default brush for this picture (mask.ts `defaultBrush`), in image pixels. */
const BRUSH = Math.max(8, Math.round(Math.min(WIDTH, HEIGHT) / 12));

/** Distance from pixel (x, y) to the stroke's segment, in image pixels. */
function fromStroke(x: number, y: number): number {
  const [ax, ay] = [STROKE.from[0] * WIDTH, STROKE.from[1] * HEIGHT];
  const [bx, by] = [STROKE.to[0] * WIDTH, STROKE.to[1] * HEIGHT];
  const t = Math.max(0, Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)));
  return Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)));
}

async function paintStroke(page: Page) {
  const canvas = page.getByTestId('mask-canvas');
  await canvas.scrollIntoViewIfNeeded();
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + STROKE.from[0] * box.width, box.y + STROKE.from[1] * box.height);
  await page.mouse.down();
  await page.mouse.move(box.x + STROKE.to[0] * box.width, box.y + STROKE.to[1] * box.height, { steps: 12 });
  await page.mouse.up();
}

/** Upload, paint, submit, wait: the job the form made. */
async function inpaintFromForm(page: Page, shot: string): Promise<JobView> {
  await page.getByTestId('input-files').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: photo });
  await expect.poll(() => page.getByTestId('input-thumb').count(), { timeout: 15_000 }).toBe(1);
  expect(await page.getByTestId('input-kind').textContent()).toContain('Image to image');
  await page.getByRole('button', { name: 'Paint a region to change…' }).click();
  await paintStroke(page);
  await screenshot(page, shot);
  await page.getByRole('button', { name: 'Use this mask' }).click();
  await page.getByTestId('mask-status').waitFor({ timeout: 15_000 });
  expect(await page.getByTestId('input-kind').textContent()).toContain('Edit region');
  await page.getByLabel('Prompt', { exact: true }).fill('a glowing moon');
  await page.getByLabel('Number of images').fill('1');
  await page.getByRole('button', { name: 'Generate', exact: true }).click();
  const card = page.getByTestId('job-card').first();
  await expect.poll(() => card.getAttribute('data-status'), { timeout: 60_000 }).toBe('succeeded');
  await expect.poll(() => card.getByTestId('job-inputs').textContent()).toContain('Mask');
  return finished((await card.getAttribute('data-job-id'))!);
}

/** The result equals the photo wherever the mask is black and differs where it is white. */
async function expectChangedOnlyWherePainted(job: JobView) {
  expect(job.kind).toBe('inpaint');
  expect(job.provider).toBe('local');
  const image = job.inputs.find((input) => input.slot === 'image')!;
  const maskInput = job.inputs.find((input) => input.slot === 'mask')!;
  const [original, mask, result] = await Promise.all([rgb(image.url), rgb(maskInput.url), rgb(job.images[0]!.url!)]);
  // Exported at the picture's own pixel size.
  expect([mask.width, mask.height, result.width, result.height]).toEqual([WIDTH, HEIGHT, WIDTH, HEIGHT]);
  let kept = 0;
  let inside = 0;
  let changed = 0;
  for (let y = 0; y < HEIGHT; y++)
    for (let x = 0; x < WIDTH; x++) {
      const p = (y * WIDTH + x) * 3;
      const distance = fromStroke(x + 0.5, y + 0.5);
      // The mask is where the mouse went: white along the stroke, black well away from it.
      if (distance < BRUSH / 2 - 2) expect(mask.data[p], `mask at ${x},${y}`).toBe(255);
      if (distance > BRUSH / 2 + 2) expect(mask.data[p], `mask at ${x},${y}`).toBe(0);
      const same = [0, 1, 2].every((c) => result.data[p + c] === original.data[p + c]);
      if (mask.data[p] === 0) {
        kept++;
        if (!same) throw new Error(`pixel ${x},${y} outside the mask changed`);
      } else if (mask.data[p] === 255) {
        inside++;
        if (!same) changed++;
      }
    }
  expect(kept).toBeGreaterThan(WIDTH * HEIGHT * 0.8);
  expect(inside).toBeGreaterThan(BRUSH * 60);
  expect(changed / inside).toBeGreaterThan(0.9);
}

describe('image inputs in the generate form', () => {
  it('keeps Generate above the fold at 1280x900 with the rest under Advanced', async () => {
    const page = await openSignedIn(browser, stack.url, user);
    const generate = page.getByRole('button', { name: 'Generate', exact: true });
    const box = (await generate.boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(DESKTOP.height);
    expect(await page.getByLabel('Provider').isVisible()).toBe(false);
    await page.getByText('Advanced', { exact: true }).click();
    expect(await page.getByLabel('Provider').isVisible()).toBe(true);
    await page.context().close();
  });

  it('uploads a photo, paints a mask with the mouse, and local changes only the painted area', async () => {
    const page = await openSignedIn(browser, stack.url, user);
    const job = await inpaintFromForm(page, 'inputs-desktop');
    await expectChangedOnlyWherePainted(job);
    await page.context().close();
  });

  it('does the same at 390 px without sideways scrolling', async () => {
    const page = await openSignedIn(browser, stack.url, user, { viewport: PHONE });
    await page.getByTestId('input-files').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: photo });
    await page.getByRole('button', { name: 'Paint a region to change…' }).click();
    await page.getByTestId('mask-canvas').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Remove photo.png' }).click();
    const job = await inpaintFromForm(page, 'inputs-phone');
    await expectChangedOnlyWherePainted(job);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    await page.context().close();
  });

  it('takes a pasted image; paints with the keyboard, undoes, inverts and clears', async () => {
    const page = await openSignedIn(browser, stack.url, user);
    await page.evaluate(
      (bytes) => {
        const clipboardData = new DataTransfer();
        clipboardData.items.add(new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' }));
        document.dispatchEvent(new ClipboardEvent('paste', { clipboardData, bubbles: true, cancelable: true }));
      },
      [...photo],
    );
    await expect.poll(() => page.getByTestId('input-thumb').count(), { timeout: 15_000 }).toBe(1);
    await page.getByRole('button', { name: 'Paint a region to change…' }).click();
    const canvas = page.getByTestId('mask-canvas');
    const painted = () =>
      canvas.evaluate((el) => {
        const c = el as HTMLCanvasElement;
        const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
        return n / (c.width * c.height);
      });
    await page.getByRole('button', { name: 'Use this mask' }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'nothing is painted' }).count()).toBe(1);
    await canvas.focus();
    await page.keyboard.press('Space');
    await page.keyboard.down('Shift');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.up('Shift');
    const stroke = await painted();
    expect(stroke).toBeGreaterThan(0.01);
    await page.getByRole('button', { name: 'Invert' }).click();
    expect(await painted()).toBeCloseTo(1 - stroke, 1);
    await page.getByRole('button', { name: 'Undo' }).click();
    expect(await painted()).toBeCloseTo(stroke, 5);
    await page.getByRole('button', { name: 'Clear' }).click();
    expect(await painted()).toBe(0);
    await page.getByRole('button', { name: 'Undo' }).click();
    expect(await painted()).toBeCloseTo(stroke, 5);
    for (const viewport of [DESKTOP, PHONE]) {
      await page.setViewportSize(viewport);
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        expect(await seriousViolations(page), `${scheme} ${viewport.width}`).toEqual([]);
      }
    }
    await page.context().close();
  });
});

describe('presets that take inputs', () => {
  it('asks for exactly the roles of Product on a model, refuses without one, and runs with both', async () => {
    const page = await openSignedIn(browser, stack.url, user);
    await page.getByRole('radio', { name: 'Product on a model' }).check();
    const needs = page.getByTestId('preset-needs');
    expect(await needs.getByRole('button').allTextContents()).toEqual([
      'Add the product image…',
      'Add the person image…',
    ]);
    const chooser = page.waitForEvent('filechooser');
    await needs.getByRole('button', { name: 'Add the product image…' }).click();
    await (await chooser).setFiles({ name: 'dress.png', mimeType: 'image/png', buffer: photo });
    await expect
      .poll(() => needs.getByRole('button').allTextContents(), { timeout: 15_000 })
      .toEqual(['Add the person image…']);
    await page.getByLabel('Prompt', { exact: true }).fill('a linen summer dress');
    await page.getByLabel('Number of images').fill('1');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'made from a person image' }).count()).toBe(1);
    expect(await page.getByTestId('job-card').count()).toBe(0);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await seriousViolations(page), scheme).toEqual([]);
    }

    const person = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#20a0a0' } })
      .png()
      .toBuffer();
    // A drop onto the zone takes the first missing role.
    const drop = await page.evaluateHandle(
      (bytes) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], 'model.png', { type: 'image/png' }));
        return transfer;
      },
      [...person],
    );
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: drop });
    await expect.poll(() => page.getByTestId('input-thumb').count(), { timeout: 15_000 }).toBe(2);
    expect(await needs.textContent()).toContain('all there');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    const card = page.getByTestId('job-card').first();
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 60_000 }).toBe('succeeded');
    const job = await finished((await card.getAttribute('data-job-id'))!);
    expect([job.preset, job.kind, job.inputs.map((input) => input.role)]).toEqual([
      'product-on-model',
      'reference',
      ['product', 'person'],
    ]);
    expect(await card.getByTestId('job-inputs').textContent()).toContain('Reference: person');
    await page.context().close();
  });
});

describe('inputs from a result', () => {
  it('varies and edits a region from the image view; the new jobs link back to their parent', async () => {
    const parent = await trpc<JobView>(
      stack.url,
      'jobs.create',
      { prompt: 'a quiet harbour', numImages: 1, provider: 'local', preset: 'photo' },
      'mutation',
      user.apiKey,
    );
    const result = (await finished(parent.id)).images[0]!;
    const page = await openSignedIn(browser, stack.url, user);
    await page.goto(`${stack.url}/gallery/${result.id}`);
    await page.getByRole('button', { name: 'Edit region' }).click();
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      expect(await seriousViolations(page), scheme).toEqual([]);
    }
    await page.getByLabel('What to put in the painted area').fill('a red lighthouse');
    await paintStroke(page);
    await page.getByRole('button', { name: 'Make the edit' }).click();
    await expect.poll(() => page.evaluate(() => location.pathname), { timeout: 15_000 }).toMatch(/^\/jobs\//);
    const edited = await finished(page.url().split('/jobs/')[1]!);
    expect([edited.kind, edited.parentImageId]).toEqual(['inpaint', result.id]);
    const link = page.getByTestId('parent-image-link');
    expect(await link.getAttribute('href')).toBe(`/gallery/${result.id}`);

    await link.click();
    await page.getByRole('button', { name: 'Vary' }).click();
    await expect.poll(() => page.evaluate(() => location.pathname), { timeout: 15_000 }).toMatch(/^\/jobs\//);
    const varied = await finished(page.url().split('/jobs/')[1]!);
    expect([varied.kind, varied.parentImageId]).toEqual(['image-to-image', result.id]);

    await page.goto(`${stack.url}/gallery/${result.id}`);
    await page.getByRole('link', { name: 'Use as input' }).click();
    await expect.poll(() => page.getByTestId('input-thumb').count(), { timeout: 15_000 }).toBe(1);
    expect(await page.getByTestId('input-kind').textContent()).toContain('Image to image');
    await page.context().close();
  });
});
