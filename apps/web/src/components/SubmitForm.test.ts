import { describe, expect, it } from 'vitest';
import { promptLines } from './SubmitForm.js';

describe('promptLines', () => {
  it('takes one prompt per non-empty line, trimmed', () => {
    expect(promptLines('a fox\n\n  an owl  \r\n\na frog\n')).toEqual(['a fox', 'an owl', 'a frog']);
    expect(promptLines('\n \n')).toEqual([]);
  });
});
