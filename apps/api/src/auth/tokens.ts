/**
 * Session tokens and API keys: random secrets handed out once, stored only as SHA-256 hashes. A fast
 * hash is right here (unlike passwords): the secrets are 256 random bits, so there is nothing to guess.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { API_KEY_PATTERN } from '@darkroom/core';

export const SESSION_COOKIE = 'darkroom_session';

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** A new API key and what is stored of it. */
export function newApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = randomBytes(4).toString('hex');
  const key = `dk_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix: `dk_${prefix}`, hash: sha256(key) };
}

/** The stored prefix of a well-formed key, or null for anything else. */
export function apiKeyPrefix(key: string): string | null {
  const match = API_KEY_PATTERN.exec(key);
  return match ? `dk_${match[1]}` : null;
}

export function hashMatches(key: string, storedHash: string): boolean {
  const given = Buffer.from(sha256(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
