/**
 * POST /v1/images/edits and /v1/images/variations through the official `openai` SDK (unchanged but for
 * baseURL): several images and an OpenAI-convention mask, stored as the caller's assets and run as a
 * Darkroom job; errors in OpenAI's shape.
 */
import OpenAI, { toFile } from 'openai';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
let client: OpenAI;
const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
beforeAll(async () => {
  h = await makeHarness();
  await h.startWorker();
  const server = await h.server();
  await server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = server.server.address() as { port: number };
  client = new OpenAI({ apiKey: h.apiKey, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
});
afterAll(() => h?.close());

const photo = (shade: number, width = 64, height = 64) =>
  sharp({ create: { width, height, channels: 3, background: { r: shade, g: 100, b: 50 } } })
    .png()
    .toBuffer();
/** OpenAI's convention: the left half fully transparent (edit it), the right half opaque (keep it). */
async function openAiMask(width = 64, height = 64) {
  const rgba = Buffer.alloc(width * height * 4, 255);
  for (let y = 0; y < height; y++) for (let x = 0; x < width / 2; x++) rgba[(y * width + x) * 4 + 3] = 0;
  return sharp(rgba, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

describe('OpenAI-compatible edits, through the openai SDK', () => {
  it('images.edit with several images and a mask runs an inpaint job and returns the PNGs', async () => {
    const result = await client.images.edit({
      model: 'local',
      image: [await toFile(await photo(10), 'a.png'), await toFile(await photo(200), 'b.png')],
      mask: await toFile(await openAiMask(), 'mask.png'),
      prompt: 'a red door',
      n: 2,
      response_format: 'b64_json',
      user: 'end-user-9',
    });
    expect(result.data).toHaveLength(2);
    for (const image of result.data ?? [])
      expect(Buffer.from(image.b64_json!, 'base64').subarray(0, 4)).toEqual(PNG_MAGIC);

    const job = await h.db.job.findFirstOrThrow({
      where: { userId: h.user.id, kind: 'inpaint' },
      include: { inputs: { orderBy: [{ slot: 'asc' }, { position: 'asc' }] } },
    });
    expect(job.inputs.map((input) => input.slot)).toEqual(['image', 'mask', 'reference']);
    // Stored in Darkroom's convention: where OpenAI's mask was transparent is white.
    const mask = (await h.storage.get(job.inputs[1]!.storageKey))!.body;
    const { data, info } = await sharp(mask).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect([data[0], data[info.width - 1]]).toEqual([255, 0]);
  });

  it('images.createVariation runs an image-to-image job from the uploaded image', async () => {
    const result = await client.images.createVariation({
      model: 'local',
      image: await toFile(await photo(90), 'v.png'),
      n: 1,
      response_format: 'b64_json',
    });
    expect(result.data).toHaveLength(1);
    expect(await h.db.job.count({ where: { userId: h.user.id, kind: 'image-to-image' } })).toBe(1);
  });

  it("answers a mask of another size, and a missing image, with OpenAI's 400 naming the parameter", async () => {
    const assets = () => h.db.reference.findMany({ where: { userId: h.user.id }, select: { id: true } });
    const before = (await assets()).map((asset) => asset.id).sort();
    const wrongSize = await client.images
      .edit({
        model: 'local',
        image: await toFile(await photo(30), 'c.png'),
        mask: await toFile(await openAiMask(32, 32), 'small-mask.png'),
        prompt: 'x',
      })
      .catch((error: unknown) => error);
    expect(wrongSize).toBeInstanceOf(OpenAI.BadRequestError);
    expect((wrongSize as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('mask');
    const notImage = await client.images
      .edit({ model: 'local', image: await toFile(Buffer.from('not a png'), 'x.png'), prompt: 'x' })
      .catch((error: unknown) => error);
    expect(notImage).toBeInstanceOf(OpenAI.BadRequestError);
    // The refused requests keep none of the images they uploaded.
    expect((await assets()).map((asset) => asset.id).sort()).toEqual(before);
  });

  it('a refused edit takes back the images it uploaded, but never one the caller already had', async () => {
    const owned = await photo(77);
    const upload = await h.inject({
      method: 'POST',
      url: '/api/v1/assets',
      headers: { 'content-type': 'image/png' },
      payload: owned,
    });
    expect(upload.statusCode).toBeLessThan(300);
    const assets = async () =>
      (await h.db.reference.findMany({ where: { userId: h.user.id }, select: { id: true } })).map((a) => a.id).sort();
    const before = await assets();
    // Refused at submit (a provider not enabled here), after both images were stored.
    const refused = await client.images
      .edit({
        model: 'stability',
        image: [await toFile(owned, 'owned.png'), await toFile(await photo(78), 'new.png')],
        prompt: 'x',
      })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(await assets()).toEqual(before);
    expect(before).toContain(upload.json().id);
  });
});
