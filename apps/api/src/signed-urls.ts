/**
 * Signed, expiring links to images: `/images/<id>?expires=<unix s>&signature=<hmac>` opens an image
 * (or its thumbnail) for whoever holds the link until it expires, without a session or API key, so an
 * owner can hand one image to a browser, a CDN or another service. The signature is an HMAC-SHA256 of
 * the path and the expiry under the API's IMAGE_URL_SECRET.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Db } from '@darkroom/db';

/** The longest a signed link may live, in seconds (7 days). */
export const MAX_SIGNED_URL_TTL_SECONDS = 7 * 24 * 3600;

export interface UrlSigner {
  /** `path` with `expires` and `signature` appended. */
  sign(path: string, expiresAt: Date): string;
  /** Whether the query of a request to `path` is a valid, unexpired signature. */
  verify(path: string, expires: string | undefined, signature: string | undefined, now?: Date): boolean;
}

/**
 * The image-link key when IMAGE_URL_SECRET is unset: made at random by whichever API process asks first
 * and kept in the database (`instance_secrets`), so every replica on that database signs and checks
 * links alike. Whoever can read the database can forge links, but could read the images there anyway.
 */
export async function sharedImageUrlSecret(db: Db): Promise<string> {
  const name = 'image_url_secret';
  const candidate = randomBytes(32).toString('hex');
  // Two replicas starting at once both try; the first insert wins and both read it back.
  await db.$executeRaw`insert into instance_secrets (name, value) values (${name}, ${candidate}) on conflict (name) do nothing`;
  return (await db.instanceSecret.findUniqueOrThrow({ where: { name }, select: { value: true } })).value;
}

/** A signer under `secret`; without one, a random secret (links then work only on this process). */
export function makeUrlSigner(secret: string = randomBytes(32).toString('hex')): UrlSigner {
  const mac = (path: string, expires: string) =>
    createHmac('sha256', secret).update(`${path}\n${expires}`).digest('base64url');
  return {
    sign(path, expiresAt) {
      const expires = String(Math.floor(expiresAt.getTime() / 1000));
      return `${path}?expires=${expires}&signature=${mac(path, expires)}`;
    },
    verify(path, expires, signature, now = new Date()) {
      if (!expires || !signature || !/^\d{1,12}$/.test(expires)) return false;
      if (Number(expires) * 1000 <= now.getTime()) return false;
      const expected = Buffer.from(mac(path, expires));
      const given = Buffer.from(signature);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}
