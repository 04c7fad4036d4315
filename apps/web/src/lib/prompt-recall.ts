/**
 * Earlier prompts, newest first, kept in this browser: ArrowUp in an empty (or recalled) prompt field
 * steps back through them, ArrowDown forward, as a shell's history does.
 */
const KEY = 'darkroom.recentPrompts';
const MAX = 30;

export function loadRecentPrompts(storage: Pick<Storage, 'getItem'> = localStorage): string[] {
  try {
    const value = JSON.parse(storage.getItem(KEY) ?? '[]') as unknown;
    return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string').slice(0, MAX) : [];
  } catch {
    return [];
  }
}

/** Puts `prompt` first (once), keeping at most 30. */
export function rememberPrompt(prompt: string, storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage): void {
  const text = prompt.trim();
  if (!text) return;
  const recent = [text, ...loadRecentPrompts(storage).filter((other) => other !== text)].slice(0, MAX);
  try {
    storage.setItem(KEY, JSON.stringify(recent));
  } catch {
    // Storage full or refused: recall is a convenience.
  }
}

/**
 * The prompt ArrowUp (step 1) or ArrowDown (step -1) moves to from position `at` (-1: the text being
 * written), or null when there is nothing further that way.
 */
export function stepRecall(recent: readonly string[], at: number, step: 1 | -1): { at: number; prompt: string } | null {
  const next = at + step;
  if (next < -1 || next >= recent.length) return null;
  return { at: next, prompt: next === -1 ? '' : recent[next]! };
}
