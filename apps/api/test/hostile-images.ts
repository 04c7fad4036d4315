/**
 * Image files made to hurt a decoder: a PNG that decompresses to far more pixels than its size
 * suggests, and real images cut short.
 */
import { Readable } from 'node:stream';
import { createDeflate, crc32 } from 'node:zlib';
import sharp from 'sharp';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A valid one-colour greyscale PNG of `side` x `side` pixels: rows of zeros deflate about 1000:1, so a
 * 30000x30000 one (900 MB once decoded) is under a megabyte. Built by streaming one row through zlib,
 * never holding the decoded image.
 */
export async function pngBomb(side: number): Promise<Buffer> {
  const row = Buffer.alloc(side + 1);
  const rows = (function* () {
    for (let y = 0; y < side; y++) yield row;
  })();
  const parts: Buffer[] = [];
  for await (const part of Readable.from(rows).pipe(createDeflate({ level: 9 }))) parts.push(part as Buffer);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(0, 9); // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', Buffer.concat(parts)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A noisy image (so it does not compress to nothing) in `format`, cut to `fraction` of its bytes. */
export async function truncated(format: 'png' | 'jpeg' | 'webp', fraction = 0.5): Promise<Buffer> {
  const noise = Buffer.alloc(128 * 96 * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) % 251;
  const whole = await sharp(noise, { raw: { width: 128, height: 96, channels: 3 } })
    .toFormat(format)
    .toBuffer();
  return whole.subarray(0, Math.floor(whole.length * fraction));
}
