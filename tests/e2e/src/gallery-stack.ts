/**
 * The setup the gallery's browser tests share: a stack and a browser, an admin (the first account) and a
 * user, and the user's jobs submitted in order and run to success, so the gallery has images to show.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { JobView } from '@darkroom/core';
import type { Browser } from 'playwright-core';
import { closeBrowser, launchBrowser } from './browser.js';
import { eventually, signUp, startStack, trpc, type Stack } from './stack.js';

export interface GalleryStack {
  stack: Stack;
  browser: Browser;
  /** `NAME@example.com`, the owner of every job. */
  user: Awaited<ReturnType<typeof signUp>>;
  /** The jobs as they finished, in the order they were submitted. */
  jobs: JobView[];
  /** Closes the browser, stops the stack and removes its data folder. */
  stop(): Promise<void>;
}

/** `requests` are jobs.create inputs, submitted one after another (newest last), each waited for up to 60 s. */
export async function startGalleryStack(name: string, requests: readonly object[]): Promise<GalleryStack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `darkroom-e2e-${name}-`));
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  const stop = async () => {
    await closeBrowser(browser);
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    stack = await startStack(dataDir);
    browser = await launchBrowser();
    await signUp(stack.url, 'admin@example.com');
    const user = await signUp(stack.url, `${name}@example.com`);
    const submitted: JobView[] = [];
    for (const request of requests)
      submitted.push(await trpc<JobView>(stack.url, 'jobs.create', request, 'mutation', user.apiKey));
    const jobs: JobView[] = [];
    for (const job of submitted)
      jobs.push(
        await eventually(async () => {
          const view = await trpc<JobView>(stack!.url, 'jobs.get', { id: job.id }, 'query', user.apiKey);
          return view.status === 'succeeded' ? view : null;
        }, 60_000),
      );
    return { stack, browser, user, jobs, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
