/**
 * The fake ComfyUI's preview frames, packed field by field as `server.py` does (`struct.pack(">I")`):
 * PREVIEW_IMAGE (1) is event type, image type (1 JPEG, 2 PNG) and the image; PREVIEW_IMAGE_WITH_METADATA
 * (4), sent instead to a socket that negotiated `supports_preview_metadata`, is event type, metadata
 * length, the metadata JSON (`comfy_execution/progress.py`: node and prompt ids, plus `image_type`) and
 * the image.
 */
import type { WebSocket } from 'ws';
import { fakePreviewImage, type PreviewFormat } from './preview-images.js';

const uint32 = (value: number) => {
  const field = Buffer.alloc(4);
  field.writeUInt32BE(value);
  return field;
};

/** The binary frame for step `step` of `steps` of node `node` of prompt `promptId`. */
export async function comfyPreviewFrame(options: {
  step: number;
  steps: number;
  format: PreviewFormat;
  withMetadata: boolean;
  promptId: string;
  node: string;
}): Promise<Buffer> {
  const image = await fakePreviewImage(options.step, options.steps, options.format);
  if (!options.withMetadata) return Buffer.concat([uint32(1), uint32(options.format === 'png' ? 2 : 1), image]);
  const metadata = Buffer.from(
    JSON.stringify({
      node_id: options.node,
      prompt_id: options.promptId,
      display_node_id: options.node,
      parent_node_id: null,
      real_node_id: options.node,
      image_type: options.format === 'png' ? 'image/png' : 'image/jpeg',
    }),
    'utf8',
  );
  return Buffer.concat([uint32(4), uint32(metadata.length), metadata, image]);
}

/** The fake's preview side: which sockets negotiated metadata, and each step's frame to the prompt's client. */
export function makeComfyPreviews(options: {
  sockets: Map<string, WebSocket>;
  /** False is `--preview-method none`. */
  enabled: boolean;
  format: PreviewFormat;
  /** False is a server too old to read feature flags. */
  featureFlags: boolean;
}) {
  const withMetadata = new Set<string>();
  const sent: { event: number; promptId: string }[] = [];
  return {
    sent,
    negotiate(ws: WebSocket, sid: string) {
      let first = true;
      ws.on('message', (raw, isBinary) => {
        // Only the first message may negotiate, as server.py's websocket_handler reads it.
        const wasFirst = first;
        first = false;
        if (!wasFirst || isBinary || !options.featureFlags) return;
        let message: { type?: unknown; data?: { supports_preview_metadata?: unknown } } | undefined;
        try {
          message = JSON.parse(String(raw)) as typeof message;
        } catch {
          return;
        }
        if (message?.type !== 'feature_flags') return;
        if (message.data?.supports_preview_metadata === true) withMetadata.add(sid);
        const flags = { supports_preview_metadata: true, max_upload_size: 100 * 1024 * 1024 };
        ws.send(JSON.stringify({ type: 'feature_flags', data: flags }));
      });
    },
    forget(sid: string) {
      withMetadata.delete(sid);
    },
    /** server.send_sync of a preview: to the prompt's client, or to every socket when it has none. */
    async send(item: { id: string; clientId: string | undefined }, node: string, step: number, steps: number) {
      if (!options.enabled) return;
      const targets = item.clientId
        ? [[item.clientId, options.sockets.get(item.clientId)] as const]
        : [...options.sockets.entries()];
      for (const [sid, socket] of targets) {
        if (!socket) continue;
        const meta = withMetadata.has(sid);
        const frame = await comfyPreviewFrame({
          step,
          steps,
          format: options.format,
          withMetadata: meta,
          promptId: item.id,
          node,
        });
        socket.send(frame, { binary: true });
        sent.push({ event: meta ? 4 : 1, promptId: item.id });
      }
    },
  };
}
