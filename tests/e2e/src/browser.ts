import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { processesMentioning, repoRoot } from './stack.js';

/** Debian's Chromium (.ci/run installs it); playwright cannot download browsers on these machines. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Each launched browser's own command-line mark, so a close that hangs can kill exactly it. */
const marks = new WeakMap<Browser, string>();

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  const mark = `--darkroom-e2e-browser=${randomUUID()}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      mark,
    ],
    timeout: 30_000,
  });
  marks.set(browser, mark);
  return browser;
}

/**
 * Closes the browser within `timeoutMs`, or kills its processes: a teardown must end. Closing it first
 * also ends its pages' live streams, which a stopping Darkroom would otherwise wait on.
 */
export async function closeBrowser(browser: Browser | undefined, timeoutMs = 15_000): Promise<void> {
  if (!browser) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
  const outcome = await Promise.race([browser.close().then(() => 'closed' as const), late]).finally(() =>
    clearTimeout(timer),
  );
  if (outcome === 'closed') return;
  const mark = marks.get(browser);
  for (const pid of mark ? processesMentioning(mark) : []) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  console.warn(`chromium did not close within ${timeoutMs} ms; killed it`);
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

/**
 * Saves a full-page screenshot under test-results/screenshots/ (the README links the main ones);
 * `fullPage: false` keeps to the viewport, for overlays such as a lightbox.
 */
export async function screenshot(page: Page, name: string, { fullPage = true }: { fullPage?: boolean } = {}) {
  const dir = path.join(repoRoot, 'test-results/screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: path.join(dir, `${name}.png`), fullPage });
}

/**
 * A page signed in as `account` (its session cookie), in a browser context of its own (own cookies and
 * localStorage), on the studio once it has loaded.
 */
export async function openSignedIn(
  browser: Browser,
  url: string,
  account: { cookie: { name: string; value: string } },
  {
    viewport = DESKTOP,
    acceptDownloads = false,
  }: { viewport?: { width: number; height: number }; acceptDownloads?: boolean } = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport, acceptDownloads });
  await context.addCookies([{ ...account.cookie, url }]);
  const page = await context.newPage();
  await page.goto(url);
  await page.getByTestId('account-email').waitFor();
  return page;
}

/** Opens the generate form's "Advanced" part (provider, quality, style, ...); idempotent. */
export async function showAdvanced(page: Page): Promise<void> {
  await page.locator('details.advanced').evaluate((details) => ((details as HTMLDetailsElement).open = true));
}
