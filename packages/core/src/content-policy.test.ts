import { describe, expect, it } from 'vitest';
import { parsePromptFilter, promptFilterMatch } from './content-policy.js';

describe('the prompt filter', () => {
  const filter = parsePromptFilter('gore, brand name, /\\bcelebrity\\s+\\w+\\b/');

  it.each([
    ['a scene full of gore', 'gore'],
    ['GORE everywhere', 'gore'],
    ['ｇｏｒｅ in full-width letters', 'gore'],
    ['góre with an accent', 'gore'],
    ['a Brand   Name logo', 'brand name'],
    ['a portrait of celebrity Jane', '/\\bcelebrity\\s+\\w+\\b/'],
  ])('matches %s', (prompt, label) => {
    expect(promptFilterMatch(filter, prompt)).toBe(label);
  });

  it.each(['a gorge at dawn', 'gorey is not the word', 'a brand of tea', 'a celebrity'])(
    'lets %s through (whole words only)',
    (prompt) => {
      expect(promptFilterMatch(filter, prompt)).toBeNull();
    },
  );

  it('is empty by default, and names an entry that is not a regular expression', () => {
    expect(promptFilterMatch(parsePromptFilter(''), 'anything at all')).toBeNull();
    expect(() => parsePromptFilter('fine, /unclosed(/')).toThrow(
      /PROMPT_FILTER entry \/unclosed\(\/ is not a regular expression/,
    );
  });
});
