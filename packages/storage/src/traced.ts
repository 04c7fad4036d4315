/**
 * A `storage.put` span around every write (a no-op unless traces are on). Only the key, size and type
 * are attributes; keys name the job and image, never what was asked for.
 */
import { ATTR, withSpan } from '@darkroom/telemetry';
import type { ImageStorage } from './storage.js';

export function withPutSpans(storage: ImageStorage, driver: 'filesystem' | 's3'): ImageStorage {
  const put = storage.put.bind(storage);
  return {
    ...storage,
    put: (key, body, contentType) =>
      withSpan(
        'storage.put',
        {
          attributes: {
            'darkroom.storage.driver': driver,
            [ATTR.storageKey]: key,
            [ATTR.bytes]: body.length,
            'darkroom.storage.content_type': contentType,
          },
        },
        () => put(key, body, contentType),
      ),
  };
}
