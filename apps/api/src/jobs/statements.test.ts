/**
 * What one job costs the database on the API's side: the statements of a one-image submit, counted
 * at the driver (BEGIN and COMMIT included). The ceiling is what it costs now; the note of issue 14
 * records the count before the lifecycle module.
 */
import { countStatements } from '@darkroom/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from '../../test/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(() => h.close());

/**
 * Statements a one-image submit sends: the accept, which also counts the submit against its per-minute
 * budget (2 before issue 20, when the counter was a statement of its own; see the issue 14 note).
 */
const SUBMIT_CEILING = 1;

describe('statements per job', () => {
  it(`a one-image submit costs at most ${SUBMIT_CEILING} statements`, async () => {
    // Warm: the first submit reads settings and prepares connections.
    await h.caller.jobs.create({ prompt: 'warm up', numImages: 1 });

    const { result, statements, texts } = await countStatements(() =>
      h.caller.jobs.create({ prompt: 'count me', numImages: 1 }),
    );

    console.log(
      `api: a one-image submit sent ${statements} statements\n  ${texts.map((text) => text.replace(/\s+/g, ' ').slice(0, 100)).join('\n  ')}`,
    );
    expect(result.status).toBe('queued');
    expect(statements).toBeLessThanOrEqual(SUBMIT_CEILING);
  });
});
