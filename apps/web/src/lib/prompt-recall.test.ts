import { describe, expect, it } from 'vitest';
import { loadRecentPrompts, rememberPrompt, stepRecall } from './prompt-recall.js';

function memory() {
  const data = new Map<string, string>();
  return {
    getItem: (key: string) => data.get(key) ?? null,
    setItem: (key: string, value: string) => void data.set(key, value),
  };
}

describe('prompt recall', () => {
  it('keeps prompts newest first, once each, and steps back and forth through them', () => {
    const storage = memory();
    for (const prompt of ['a fox', 'a heron', 'a fox', '  ']) rememberPrompt(prompt, storage);
    const recent = loadRecentPrompts(storage);
    expect(recent).toEqual(['a fox', 'a heron']);
    expect(stepRecall(recent, -1, 1)).toEqual({ at: 0, prompt: 'a fox' });
    expect(stepRecall(recent, 0, 1)).toEqual({ at: 1, prompt: 'a heron' });
    expect(stepRecall(recent, 1, 1)).toBeNull();
    expect(stepRecall(recent, 0, -1)).toEqual({ at: -1, prompt: '' });
    expect(stepRecall(recent, -1, -1)).toBeNull();
  });
});
