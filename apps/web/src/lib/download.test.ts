import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { imageFileName, zipFiles } from './download.js';

describe('zipFiles', () => {
  it('packs each image under its own name, bytes unchanged', () => {
    const a = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
    const b = new Uint8Array([137, 80, 78, 71, 4, 5]);
    const zip = zipFiles([
      { name: imageFileName('0193aaaa-bbbb', 0, 'image/png'), bytes: a },
      { name: imageFileName('0193aaaa-bbbb', 1, 'image/jpeg'), bytes: b },
    ]);
    expect(unzipSync(zip)).toEqual({ 'darkroom-0193aaaa-1.png': a, 'darkroom-0193aaaa-2.jpg': b });
  });
});
