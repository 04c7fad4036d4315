import sharp from 'sharp';

/**
 * Darkroom's one mask convention is white = regenerate, black = keep (grey: partly), the size of its
 * image, read from the luminance. These convert it to what vendors read, so no adapter has its own.
 */

/** The mask as a plain greyscale PNG (alpha dropped, so a vendor reading alpha cannot misread it). */
export async function maskToGreyPng(mask: Buffer): Promise<Buffer> {
  return sharp(mask, { failOn: 'error' }).removeAlpha().greyscale().toColourspace('b-w').png().toBuffer();
}

/**
 * The mask in the alpha convention (OpenAI edits; transparent = edit): an RGBA PNG whose alpha is 0
 * where the mask is white and 255 where it is black. Vendors of this convention edit only fully
 * transparent pixels, so grey is decided at half: lighter than 50% grey is edited.
 */
export async function maskToAlphaPng(mask: Buffer): Promise<Buffer> {
  const { data, info } = await sharp(mask, { failOn: 'error' })
    .removeAlpha()
    .greyscale()
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const rgba = Buffer.alloc(info.width * info.height * 4);
  for (let p = 0; p < data.length; p++) rgba[p * 4 + 3] = data[p]! >= 128 ? 0 : 255;
  return sharp(rgba, { raw: { width: info.width, height: info.height, channels: 4 } })
    .png()
    .toBuffer();
}
