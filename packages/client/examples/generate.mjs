// A runnable example of the typed client: submit a job, follow it live (polling with backoff if the
// live stream is unavailable), and save the images.
//
//   pnpm --filter @darkroom/client build
//   DARKROOM_URL=http://127.0.0.1:3000 DARKROOM_API_KEY=dk_... node packages/client/examples/generate.mjs "a friendly dragon" 2
import { mkdir, writeFile } from 'node:fs/promises';
import { createDarkroomClient } from '@darkroom/client';

const url = process.env.DARKROOM_URL ?? 'http://127.0.0.1:3000';
const apiKey = process.env.DARKROOM_API_KEY;
if (!apiKey) {
  console.error('Set DARKROOM_API_KEY to an API key from the web app (API keys page).');
  process.exit(2);
}
const [prompt = 'a friendly dragon playing in a garden', count = '2'] = process.argv.slice(2);

const darkroom = createDarkroomClient({
  url,
  apiKey,
  // On 429, wait Retry-After and send again, up to 3 times, never waiting more than 30 s at once.
  rateLimit: { retries: 3, maxWaitMs: 30_000 },
});

const job = await darkroom.generate(
  { prompt, numImages: Number(count), preset: 'coloring-page' },
  {
    onProgress: (view) => console.error(`${view.status} ${view.stage ?? ''} ${view.progress}%`),
    timeoutMs: 5 * 60_000,
    // Used only when the live stream is unavailable: 500 ms, growing x1.5, at most 5 s between polls.
    backoff: { initialMs: 500, factor: 1.5, maxMs: 5000 },
  },
);

await mkdir('out', { recursive: true });
for (const image of job.images) {
  if (!image.url) continue;
  const response = await fetch(`${url}${image.url}`, { headers: { authorization: `Bearer ${apiKey}` } });
  const file = `out/${job.id}-${image.index}.png`;
  await writeFile(file, Buffer.from(await response.arrayBuffer()));
  console.log(file);
}
process.exitCode = job.status === 'succeeded' ? 0 : 1;
