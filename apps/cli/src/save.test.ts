import { describe, expect, it } from 'vitest';
import { extensionOf } from './save.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]);

describe('the extension a saved image gets', () => {
  it('is the format its bytes are in, whatever the content type says', () => {
    expect(extensionOf(PNG, 'image/jpeg')).toBe('png');
    expect(extensionOf(JPEG, 'image/png')).toBe('jpg');
    expect(extensionOf(WEBP, 'application/octet-stream')).toBe('webp');
  });

  it('falls back to the content type, then to bin', () => {
    expect(extensionOf(Buffer.from('GIF89a'), 'image/gif; charset=binary')).toBe('gif');
    expect(extensionOf(Buffer.from('????'), null)).toBe('bin');
  });
});
