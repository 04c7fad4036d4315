/**
 * Words a person understands (issue 19, point 5; audit defects 1, 4, 7, 8, 9, 10, 11, 14, 18): sign-in
 * and form errors in plain words with focus on the first bad field, a refused prompt's card, a partly
 * failed job's badge, a retried job's clock, the image view's number, the card's and ledger's words.
 * The mock refuses half its images (deterministically per prompt, seed and attempt); jobs are made over
 * the API until one has the shape a test needs, then opened at their own address (/jobs/:id).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_IMAGES_PER_JOB, type JobView } from '@darkroom/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DESKTOP, closeBrowser, launchBrowser, openSignedIn, PHONE } from './browser.js';
import { eventually, signUp, startStack, trpc, type Stack } from './stack.js';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'darkroom-e2e-words-'));
let stack: Stack;
let browser: Browser;
let user: Awaited<ReturnType<typeof signUp>>;
beforeAll(async () => {
  stack = await startStack(dataDir, { MOCK_FAILURES: 'content_filtered:0.5' });
  browser = await launchBrowser();
  await signUp(stack.url, 'admin@example.com');
  user = await signUp(stack.url, 'words@example.com');
});
afterAll(async () => {
  await closeBrowser(browser);
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A signed-in page at one of the app's addresses (the session cookie is set for the whole site). */
async function openAt(pathname: string): Promise<Page> {
  const page = await openSignedIn(browser, stack.url, user);
  await page.goto(`${stack.url}${pathname}`);
  await page.getByTestId('account-email').waitFor();
  return page;
}

const focusedLabel = (page: Page) =>
  page.evaluate(() => {
    const active = document.activeElement as HTMLElement | null;
    return active?.id ? (document.querySelector(`label[for="${active.id}"]`)?.textContent ?? null) : null;
  });

async function finished(id: string): Promise<JobView> {
  return eventually(async () => {
    const view = await trpc<JobView>(stack.url, 'jobs.get', { id }, 'query', user.apiKey);
    return ['succeeded', 'failed', 'canceled'].includes(view.status) ? view : null;
  });
}

/**
 * Mock jobs until one ends as `wanted` says (each image is refused with chance 1/2). The seeds are fixed
 * and the mock's draw is per (prompt, image seed, attempt), so the same tries end the same way every run.
 */
async function mockJobUntil(numImages: number, wanted: (view: JobView) => boolean): Promise<JobView> {
  for (let i = 0; i < 12; i++) {
    const job = await trpc<JobView>(
      stack.url,
      'jobs.create',
      { prompt: `a koi pond, take ${i} of ${numImages}`, numImages, provider: 'mock', seed: 1000 + i },
      'mutation',
      user.apiKey,
    );
    const view = await finished(job.id);
    if (wanted(view)) return view;
  }
  throw new Error('no mock job ended the way the test needs in 12 tries');
}

describe('signing in', () => {
  for (const [name, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    it(`a wrong password says "Wrong email or password." and focus goes to it (${name}; defect 1)`, async () => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      await page.goto(stack.url);
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      await page.getByLabel('Email').fill('words@example.com');
      await page.getByLabel('Password').fill('not the password');
      await page.getByRole('button', { name: 'Log in' }).click();
      const error = page.getByTestId('auth-error');
      await expect.poll(() => error.textContent(), { timeout: 15_000 }).toBe('Wrong email or password.');
      expect(await page.getByText(/signed out/).count()).toBe(0);
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid')))
        .toBe('auth-error');
      await context.close();
    });
  }

  it('sign-up shows the password rule up front, says what is wrong in words, focuses the first bad field (defects 4, 14)', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Create an account' }).click();
    const password = page.getByLabel('Password');
    // The rule is there before any mistake, and tied to the field.
    expect(await page.getByText('At least 8 characters.').isVisible()).toBe(true);
    expect(await password.getAttribute('aria-describedby')).toMatch(/password-rule/);

    await password.fill('short');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => focusedLabel(page)).toBe('Email');
    const email = page.getByLabel('Email');
    const emailError = await email.getAttribute('aria-describedby');
    expect(await page.locator(`#${emailError}`).textContent()).toBe('Enter an email address, like name@example.com.');
    const passwordErrors = (await password.getAttribute('aria-describedby'))!.split(' ');
    expect(await page.locator(`#${passwordErrors[0]}`).textContent()).toBe(
      'Use at least 8 characters for the password.',
    );
    await context.close();
  });
});

describe('the create form', () => {
  it('says each problem in plain words and moves focus to the first bad field (defect 4)', async () => {
    const page = await openSignedIn(browser, stack.url, user);
    const generate = page.getByRole('button', { name: 'Generate' });
    const fieldError = (label: string) =>
      page.evaluate((text) => {
        const label = Array.from(document.querySelectorAll('label')).find((l) => l.textContent === text)!;
        const field = document.getElementById(label.htmlFor)!;
        const ids = (field.getAttribute('aria-describedby') ?? '').split(' ');
        return ids.map((id) => document.getElementById(id)).find((el) => el?.classList.contains('field-error'))
          ?.textContent;
      }, label);

    await generate.click();
    await expect.poll(() => fieldError('Prompt')).toBe('Write a prompt: say what the image should show.');
    await expect.poll(() => focusedLabel(page)).toBe('Prompt');

    await page.getByLabel('Prompt', { exact: true }).fill('a lighthouse');
    for (const count of [String(MAX_IMAGES_PER_JOB + 1), '0', '']) {
      await page.getByLabel('Number of images').fill(count);
      await generate.click();
      await expect.poll(() => fieldError('Number of images')).toBe(`Choose 1 to ${MAX_IMAGES_PER_JOB} images.`);
      await expect.poll(() => focusedLabel(page)).toBe('Number of images');
    }

    await page.getByLabel('Number of images').fill('1');
    await page.getByLabel('Prompt', { exact: true }).fill('x'.repeat(4100));
    await generate.focus();
    await generate.click();
    await expect.poll(() => fieldError('Prompt')).toBe('Shorten the prompt to 4,000 characters or fewer.');
    await expect.poll(() => focusedLabel(page)).toBe('Prompt');
    expect(await page.locator('.field-error').allTextContents()).not.toContainEqual(
      expect.stringMatching(/expected|Too big|Too small/),
    );
    await page.context().close();
  });
});

describe('job cards', () => {
  it('a refused prompt offers "Edit prompt" first, no codes, no Retry, no full red bar (defect 7)', async () => {
    const refused = await mockJobUntil(1, (view) => view.status === 'failed');
    const page = await openAt(`/jobs/${refused.id}`);
    const card = page.getByTestId('job-card');
    await expect.poll(() => card.getAttribute('data-status'), { timeout: 15_000 }).toBe('failed');
    expect(await card.getByTestId('job-error').textContent()).toBe(
      'The provider refused this prompt on safety grounds. Edit the prompt and try again.',
    );
    const text = (await card.textContent())!;
    expect(text).not.toMatch(/content_filtered|mock:/);
    // Said once, on the card, not again in the slot.
    expect(text.match(/refused this prompt/g)).toHaveLength(1);
    expect(await card.getByRole('progressbar').count()).toBe(0);
    expect(await card.getByRole('button', { name: 'Retry' }).count()).toBe(0);
    const buttons = await card.locator('footer button').allTextContents();
    expect(buttons[0]).toBe('Edit prompt');

    await card.getByRole('button', { name: 'Edit prompt' }).click();
    await expect.poll(() => page.evaluate(() => location.pathname)).toBe('/');
    await expect.poll(() => page.getByLabel('Prompt', { exact: true }).inputValue()).toBe(refused.prompt);
    await expect.poll(() => focusedLabel(page)).toBe('Prompt');
    await page.context().close();
  });

  it('a partly failed job has its own badge, and its image view names the image opened (defects 8, 10)', async () => {
    // A failed image before a made one: opening the made one must say its own number.
    const partial = await mockJobUntil(4, (view) => {
      const firstFailed = view.images.findIndex((image) => image.status === 'failed');
      return view.status === 'succeeded' && firstFailed >= 0 && view.images.slice(firstFailed).some((i) => i.url);
    });
    const page = await openAt(`/jobs/${partial.id}`);
    const card = page.getByTestId('job-card');
    await expect.poll(() => card.getAttribute('data-outcome'), { timeout: 15_000 }).toBe('partial');
    expect(await card.getByTestId('job-badge').textContent()).toBe('Partly done');
    expect(await card.getByTestId('job-status-text').textContent()).toMatch(
      new RegExp(`^Partly done · ${partial.counts.succeeded} of 4 images made, ${partial.counts.failed} failed$`),
    );

    const firstFailed = partial.images.findIndex((image) => image.status === 'failed');
    const after = partial.images.slice(firstFailed).find((image) => image.url)!;
    await card.getByRole('button', { name: `Open image ${after.index + 1} large` }).click();
    await expect.poll(() => page.getByTestId('lightbox-title').textContent()).toBe(`Image ${after.index + 1}`);
    expect(await page.getByTestId('lightbox').getAttribute('aria-label')).toBe(`Image ${after.index + 1}`);
    await page.context().close();
  });

  it("a retried job's clock counts this run, not the time since the first (defect 9)", async () => {
    const refused = await mockJobUntil(1, (view) => view.status === 'failed');
    await new Promise((resolve) => setTimeout(resolve, 6000));
    await trpc(stack.url, 'jobs.retry', { id: refused.id }, 'mutation', user.apiKey);
    await eventually(async () => {
      const view = await finished(refused.id);
      return view.attempts >= 2 ? view : null;
    });
    const page = await openAt(`/jobs/${refused.id}`);
    const line = page.getByTestId('job-card').locator('.job-progress .muted');
    await expect.poll(() => line.textContent(), { timeout: 15_000 }).toMatch(/\d+ s elapsed/);
    const seconds = Number((await line.textContent())!.match(/(\d+) s elapsed/)![1]);
    expect(seconds).toBeLessThan(4);
    await page.context().close();
  });

  it("the card names the preset in History's words, plurals right; the ledger too (defects 11, 18)", async () => {
    const job = await trpc<JobView>(
      stack.url,
      'jobs.create',
      { prompt: 'a knight, front view', preset: 'character-reference', numImages: 1, provider: 'local' },
      'mutation',
      user.apiKey,
    );
    await finished(job.id);
    const page = await openAt(`/jobs/${job.id}`);
    const card = page.getByTestId('job-card');
    await expect
      .poll(() => card.getByTestId('job-summary').textContent())
      .toBe('Character reference · 3:4 · 1 image · normal · local');
    expect(await card.getByTestId('job-badge').textContent()).toBe('Done');
    await page.getByRole('link', { name: 'Usage & credits' }).click();
    // One line per job (reserve, charge and refund folded), in words with plurals right.
    const line = page.getByTestId('ledger-line').filter({ has: page.locator(`a[href="/jobs/${job.id}"]`) });
    await expect.poll(() => line.locator('td').nth(1).textContent()).toBe('Job · 1 credit spent');
    expect(await line.locator('td').nth(2).textContent()).toBe('-1');
    expect(await page.locator('table.ledger').textContent()).not.toMatch(/\b1 credits\b|\b1 images\b/);
    await page.context().close();
  });
});
