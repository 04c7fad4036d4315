/**
 * `stream: true` through the official `openai` package: its stream iterator reads Darkroom's events as
 * it reads OpenAI's. A worker runs `local`, whose images develop in passes, and `comfyui` against a fake
 * ComfyUI whose sampler sends a preview frame per step, so partial images exist for generations and edits.
 */
import OpenAI, { toFile } from 'openai';
import { startFakeComfyUI, type FakeComfyUI } from '@darkroom/providers/testing';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let openai: OpenAI;
let comfyui: FakeComfyUI;
beforeAll(async () => {
  comfyui = await startFakeComfyUI({ stepMs: 120 });
  h = await makeHarness({ settings: { enabledProviders: ['local', 'mock', 'comfyui'] } });
  await h.startWorker({
    LOCAL_PASS_MS: '1000',
    PREVIEW_INTERVAL_MS: '200',
    IMAGE_CONCURRENCY: '1',
    PROVIDERS_ENABLED: 'local,comfyui',
    COMFYUI_URLS: comfyui.url,
    COMFYUI_STEPS: '8',
    PROVIDER_POLL_INTERVAL_MS: '10',
  });
  const server = await h.server();
  await server.listen({ host: '127.0.0.1', port: 0 });
  const address = server.server.address() as { port: number };
  openai = new OpenAI({ apiKey: h.apiKey, baseURL: `http://127.0.0.1:${address.port}/v1` });
});
afterAll(async () => {
  await h?.close();
  await comfyui?.close();
});

const photo = (shade: number) =>
  sharp({ create: { width: 64, height: 64, channels: 3, background: { r: shade, g: 100, b: 50 } } })
    .png()
    .toBuffer();

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

  it("streams an edit: image_edit.partial_image events from the engine's previews, then image_edit.completed", async () => {
    const stream = await openai.images.edit({
      model: 'comfyui',
      image: await toFile(await photo(90), 'room.png', { type: 'image/png' }),
      prompt: 'the same room at night',
      stream: true,
      partial_images: 3,
    });
    const events = await collect(stream);

    const types = events.map((event) => event.type);
    expect(types.at(-1)).toBe('image_edit.completed');
    expect(types.filter((type) => type === 'image_edit.completed')).toHaveLength(1);
    const partials = events.filter((event) => event.type === 'image_edit.partial_image');
    // Eight steps of 120 ms, a preview written at most every 200 ms: more than three exist, three are sent.
    expect(partials.map((event) => event.partial_image_index)).toEqual([0, 1, 2]);
    for (const event of events)
      expect((await sharp(Buffer.from(event.b64_json!, 'base64')).metadata()).format).toBe('png');
    // The edit ran on ComfyUI as an image-to-image prompt on the uploaded image.
    const graph = comfyui.prompts.at(-1)!.prompt;
    expect(Object.values(graph).some((node) => node.class_type === 'LoadImage')).toBe(true);
  });

  it('answers an edit without stream as JSON, and refuses partial_images outside 0..3 naming the field', async () => {
    const plain = await openai.images.edit({
      model: 'local',
      image: await toFile(await photo(30), 'a.png', { type: 'image/png' }),
      prompt: 'not streamed',
      response_format: 'b64_json',
    });
    expect(plain.data).toHaveLength(1);

    for (const partial_images of [4, -1]) {
      const error = await openai.images
        .edit({
          model: 'local',
          image: await toFile(await photo(30), 'a.png', { type: 'image/png' }),
          prompt: 'too many partials',
          stream: true,
          partial_images,
        })
        .then(collect)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      const bad = error as InstanceType<typeof OpenAI.BadRequestError>;
      expect([bad.param, bad.message]).toEqual(['partial_images', '400 partial_images must be 0 to 3']);
    }
    expect(await h.db.job.count({ where: { prompt: 'too many partials' } })).toBe(0);
  });
});
