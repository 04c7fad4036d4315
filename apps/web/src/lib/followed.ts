/**
 * The jobs this browser is following, kept in localStorage so cards come back after a reload and
 * show up in another tab.
 */
const KEY = 'darkroom.followedJobs';
const MAX = 12;

export function loadFollowed(storage: Pick<Storage, 'getItem'> = localStorage): string[] {
  try {
    const value = JSON.parse(storage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string').slice(0, MAX) : [];
  } catch {
    return [];
  }
}

export function saveFollowed(ids: string[], storage: Pick<Storage, 'setItem'> = localStorage) {
  storage.setItem(KEY, JSON.stringify(ids.slice(0, MAX)));
}

/** Newest first, no duplicates, at most MAX. */
export function follow(ids: string[], id: string): string[] {
  return [id, ...ids.filter((other) => other !== id)].slice(0, MAX);
}

export const FOLLOWED_STORAGE_KEY = KEY;
