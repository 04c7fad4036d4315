/**
 * An operator's content policy for prompts (PROMPT_FILTER): words and phrases matched whole and without
 * regard to case, accents or look-alike forms (NFKC), and `/patterns/` as the operator writes them. A
 * prompt that matches is refused at submit, before any credit is reserved.
 */

export interface PromptFilter {
  readonly terms: readonly { label: string; pattern: RegExp }[];
}

export const NO_PROMPT_FILTER: PromptFilter = { terms: [] };

/** Lowercase, NFKC, accents stripped: `Ｄｒａｇóｎ` and `dragon` read the same. */
function fold(text: string): string {
  return text
    .normalize('NFKC')
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * `word, two words, /pattern/` (comma-separated; a pattern may not contain a comma). Throws, naming the
 * entry, on a pattern that is not a regular expression.
 */
export function parsePromptFilter(text: string): PromptFilter {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return {
    terms: entries.map((entry) => {
      const regex = /^\/(.+)\/([imsu]*)$/.exec(entry);
      if (regex) {
        try {
          return { label: entry, pattern: new RegExp(regex[1]!, `${regex[2]!.replace(/[iu]/g, '')}iu`) };
        } catch (error) {
          throw new Error(`PROMPT_FILTER entry ${entry} is not a regular expression (${(error as Error).message})`);
        }
      }
      const words = fold(entry).split(/\s+/).map(escape).join('\\s+');
      return { label: entry, pattern: new RegExp(`(?<![\\p{L}\\p{N}])${words}(?![\\p{L}\\p{N}])`, 'iu') };
    }),
  };
}

/** The first entry `text` matches, or null. */
export function promptFilterMatch(filter: PromptFilter, text: string): string | null {
  if (filter.terms.length === 0) return null;
  const folded = fold(text);
  return filter.terms.find((term) => term.pattern.test(folded) || term.pattern.test(text))?.label ?? null;
}
