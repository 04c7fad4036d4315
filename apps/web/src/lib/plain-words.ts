/**
 * Validation messages in words a person understands. Zod's own text ("Too big: expected number to be
 * <=8") is for developers; every form reads issues through `plainIssue`, from the shared schema on the
 * client or from the API's `zodIssues` (which carry the same code and limits).
 */
// The zod-free module: the landing page reads these words without loading any schema.
import { MAX_IMAGES_PER_JOB, MAX_PROMPT_LENGTH, MIN_PASSWORD_LENGTH } from '@darkroom/core/limits';

export interface IssueLike {
  path: readonly PropertyKey[];
  message: string;
  code?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  origin?: unknown;
}

/** What each field is called in a sentence. */
const FIELD_NAMES: Record<string, string> = {
  prompt: 'The prompt',
  negativePrompt: 'The negative prompt',
  style: 'The style',
  model: 'The model name',
  email: 'The email address',
  password: 'The password',
  inviteCode: 'The invite code',
  name: 'The name',
  amount: 'The amount',
};

const count = (n: number) => n.toLocaleString('en');

/** One issue as a sentence that says what to do. */
export function plainIssue(issue: IssueLike): string {
  const field = String(issue.path[0] ?? 'form');
  const code = typeof issue.code === 'string' ? issue.code : '';
  const max = typeof issue.maximum === 'number' ? issue.maximum : null;
  const min = typeof issue.minimum === 'number' ? issue.minimum : null;
  switch (field) {
    case 'numImages':
      return `Choose 1 to ${MAX_IMAGES_PER_JOB} images.`;
    case 'prompt':
      if (code === 'too_big') return `Shorten the prompt to ${count(max ?? MAX_PROMPT_LENGTH)} characters or fewer.`;
      return 'Write a prompt: say what the image should show.';
    case 'email':
      return 'Enter an email address, like name@example.com.';
    case 'password':
      if (code === 'too_small') return `Use at least ${count(min ?? MIN_PASSWORD_LENGTH)} characters for the password.`;
      if (code === 'too_big') return `Use at most ${count(max ?? 0)} characters for the password.`;
      return 'Enter your password.';
    case 'inviteCode':
      return 'Enter the invite code an admin gave you (it starts with inv_).';
  }
  const name = FIELD_NAMES[field] ?? 'This field';
  if (code === 'too_big' && max !== null)
    return issue.origin === 'number'
      ? `${name} can be at most ${count(max)}.`
      : `${name} can be at most ${count(max)} characters long.`;
  if (code === 'too_small' && min !== null)
    return issue.origin === 'number' ? `${name} must be at least ${count(min)}.` : `${name} cannot be empty.`;
  if (code === 'invalid_value' || code === 'invalid_enum_value') return `Choose one of the offered values.`;
  if (code === 'invalid_format' || code === 'invalid_string') return `${name} is not in the expected form.`;
  if (code === 'invalid_type') return `${name} is missing or not valid.`;
  // A message a schema wrote itself (a `refine`) is already a sentence: give it a capital and a stop.
  const message = issue.message.trim();
  const sentence = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/** "1 image", "2 images": the count and the noun, plural when it is not one. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
