/**
 * The fake OpenAI's streamed answers read by the official `openai` SDK, unchanged but for baseURL: the
 * adapter's tests trust the fake, so the fake must speak what openai-node's stream iterator reads.
 */
import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';
import { startFakeOpenAI, type FakeOpenAI } from '@darkroom/providers/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const KEY = 'sk-fake-stream-0123456789';
let fake: FakeOpenAI;
let client: OpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ apiKey: KEY });
  client = new OpenAI({ apiKey: KEY, baseURL: fake.baseUrl, maxRetries: 0 });
});
afterAll(() => fake.close());

async function collect(stream: AsyncIterable<unknown>) {
  const events: { type: string; b64_json?: string; partial_image_index?: number }[] = [];
  for await (const event of stream) events.push(event as (typeof events)[number]);
  return events;
}

describe('the fake OpenAI stream, through the openai SDK', () => {
  it('generations and edits stream partial images, then the completed image', async () => {
    const generated = await collect(
      await client.images.generate({ model: 'gpt-image-1', prompt: 'a kite', stream: true, partial_images: 2 }),
    );
    expect(generated.map((event) => [event.type, event.partial_image_index])).toEqual([
      ['image_generation.partial_image', 0],
      ['image_generation.partial_image', 1],
      ['image_generation.completed', undefined],
    ]);
    const photo = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#336699' } })
      .png()
      .toBuffer();
    const edited = await collect(
      await client.images.edit({
        model: 'gpt-image-1',
        image: await toFile(photo, 'a.png', { type: 'image/png' }),
        prompt: 'at night',
        stream: true,
        partial_images: 1,
      }),
    );
    expect(edited.map((event) => event.type)).toEqual(['image_edit.partial_image', 'image_edit.completed']);
    for (const event of [...generated, ...edited])
      expect((await sharp(Buffer.from(event.b64_json!, 'base64')).metadata()).format).toBe('png');
  });

  it('an error event ends the stream as an APIError, and partial_images over 3 is a 400 naming the field', async () => {
    const failed = await client.images
      .generate({ model: 'gpt-image-1', prompt: 'this fails midway', stream: true, partial_images: 1 })
      .then(collect)
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(OpenAI.APIError);
    expect((failed as InstanceType<typeof OpenAI.APIError>).code).toBe('server_error');

    const refused = await client.images
      .generate({ model: 'gpt-image-1', prompt: 'x', stream: true, partial_images: 4 })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('partial_images');
  });
});
