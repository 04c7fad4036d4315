/**
 * The mask as Darkroom takes it: a PNG of the image's own pixel size, white where the image is made
 * again and black where it is kept. The brush paints on a canvas of that size in a tint colour (alpha
 * says where); export turns alpha into white on black.
 */

/** The painted canvas as Darkroom's mask PNG (white = regenerate, black = keep). */
export function exportMask(painted: HTMLCanvasElement): Promise<Blob> {
  const out = document.createElement('canvas');
  out.width = painted.width;
  out.height = painted.height;
  const ctx = out.getContext('2d')!;
  ctx.drawImage(painted, 0, 0);
  ctx.globalCompositeOperation = 'source-in';
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.globalCompositeOperation = 'destination-over';
  ctx.fillStyle = '#000000';
  ctx.fillRect(0, 0, out.width, out.height);
  return new Promise((resolve, reject) =>
    out.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the mask could not be encoded'))), 'image/png'),
  );
}

/** Paints where nothing was painted and clears what was. */
export function invertMask(painted: HTMLCanvasElement, tint: string): void {
  const copy = document.createElement('canvas');
  copy.width = painted.width;
  copy.height = painted.height;
  const copyCtx = copy.getContext('2d')!;
  copyCtx.fillStyle = tint;
  copyCtx.fillRect(0, 0, copy.width, copy.height);
  copyCtx.globalCompositeOperation = 'destination-out';
  copyCtx.drawImage(painted, 0, 0);
  const ctx = painted.getContext('2d')!;
  ctx.clearRect(0, 0, painted.width, painted.height);
  ctx.drawImage(copy, 0, 0);
}

/** Whether anything is painted (a mask that keeps everything would change nothing). */
export function hasPaint(painted: HTMLCanvasElement): boolean {
  const { data } = painted.getContext('2d')!.getImageData(0, 0, painted.width, painted.height);
  for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) return true;
  return false;
}

/** A brush that fits the picture: about a twelfth of its short side. */
export const defaultBrush = (width: number, height: number) => Math.max(8, Math.round(Math.min(width, height) / 12));
