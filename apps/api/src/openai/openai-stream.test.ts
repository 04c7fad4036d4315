/**
 * `stream: true` through the official `openai` package: its stream iterator reads Darkroom's events as
 * it reads OpenAI's. A worker runs `local`, whose images develop in passes, so partial images exist.
 */
import OpenAI from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let openai: OpenAI;
beforeAll(async () => {
  h = await makeHarness();
  await h.startWorker({ LOCAL_PASS_MS: '1000', PREVIEW_INTERVAL_MS: '200', IMAGE_CONCURRENCY: '1' });
  const server = await h.server();
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address() as { port: number };
  openai = new OpenAI({ apiKey: h.apiKey, baseURL: `http://127.0.0.1:${address.port}/v1` });
});
afterAll(() => h?.close());

type Event = { type: string; b64_json?: string; partial_image_index?: number; size?: string };

async function collect(stream: AsyncIterable<unknown>): Promise<Event[]> {
  const events: Event[] = [];
  for await (const event of stream) events.push(event as Event);
  return events;
}

describe('streamed generations through the openai SDK', () => {
  it('streams up to partial_images previews of each image as it develops, then each completed image', async () => {
    const stream = await openai.images.generate({
      model: 'local',
      prompt: 'a lighthouse in the fog',
      n: 2,
      size: '1024x1024',
      stream: true,
      partial_images: 2,
    });
    const events = await collect(stream);

    const partials = events.filter((event) => event.type === 'image_generation.partial_image');
    const completed = events.filter((event) => event.type === 'image_generation.completed');
    expect(completed).toHaveLength(2);
    // Two passes before each of the two images, a second apart: up to two partials each, numbered from 0.
    expect(partials.length).toBeGreaterThanOrEqual(2);
    expect(partials.length).toBeLessThanOrEqual(4);
    expect(partials.map((event) => event.partial_image_index)).toContain(0);
    expect(partials.every((event) => event.partial_image_index! < 2)).toBe(true);
    for (const event of [...partials, ...completed]) {
      const meta = await sharp(Buffer.from(event.b64_json!, 'base64')).metadata();
      expect(meta.format).toBe('png');
    }
    const finals = await Promise.all(
      completed.map((event) => sharp(Buffer.from(event.b64_json!, 'base64')).metadata()),
    );
    expect(finals.map((meta) => `${meta.width}x${meta.height}`)).toEqual([completed[0]!.size, completed[0]!.size]);
    // Every partial image came before the image it previews was complete.
    expect(events.findIndex((event) => event.type === 'image_generation.partial_image')).toBeLessThan(
      events.findIndex((event) => event.type === 'image_generation.completed'),
    );
  });

  it('sends no partial images when partial_images is 0, only the completed image', async () => {
    const events = await collect(
      await openai.images.generate({ model: 'local', prompt: 'a red kite', stream: true, partial_images: 0 }),
    );
    expect(events.map((event) => event.type)).toEqual(['image_generation.completed']);
  });

  it('refuses partial_images outside 0..3 before streaming, in OpenAI error shape naming the field', async () => {
    const error = await openai.images
      .generate({ model: 'local', prompt: 'too many', stream: true, partial_images: 4 })
      .then(collect)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('partial_images');
    expect(await h.db.job.count({ where: { prompt: 'too many' } })).toBe(0);
  });
});
