/**
 * ComfyUI's binary socket frames (`protocol.py BinaryEventTypes`, `server.py send_image` and
 * `send_image_with_metadata`): a uint32 big-endian event type, then for PREVIEW_IMAGE (1) a uint32 image
 * type (1 JPEG, 2 PNG) and the image, for PREVIEW_IMAGE_WITH_METADATA (4) a uint32 length, that many bytes
 * of JSON metadata (with the prompt id) and the image. Other events (TEXT, 3) are not previews.
 */
import { z } from 'zod';

export const PREVIEW_IMAGE = 1;
export const PREVIEW_IMAGE_WITH_METADATA = 4;

/** The first message our socket sends: with it the server sends event 4, which names the prompt. */
export const FEATURE_FLAGS_MESSAGE = JSON.stringify({
  type: 'feature_flags',
  data: { supports_preview_metadata: true },
});

const PreviewMetadata = z.object({ prompt_id: z.string().optional(), node_id: z.string().optional() }).passthrough();

export interface ComfyPreviewFrame {
  image: Buffer;
  /** Only event 4 says which prompt it belongs to. */
  promptId?: string;
}

/** The preview in a binary frame, or undefined for any other event or a frame too short to hold one. */
export function parsePreviewFrame(frame: Buffer): ComfyPreviewFrame | undefined {
  if (frame.length < 8) return undefined;
  const event = frame.readUInt32BE(0);
  if (event === PREVIEW_IMAGE) return { image: frame.subarray(8) };
  if (event !== PREVIEW_IMAGE_WITH_METADATA) return undefined;
  const length = frame.readUInt32BE(4);
  if (8 + length > frame.length) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(frame.toString('utf8', 8, 8 + length));
  } catch {
    return undefined;
  }
  const metadata = PreviewMetadata.safeParse(json);
  if (!metadata.success) return undefined;
  return {
    image: frame.subarray(8 + length),
    ...(metadata.data.prompt_id !== undefined ? { promptId: metadata.data.prompt_id } : {}),
  };
}
