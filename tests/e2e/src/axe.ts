/**
 * axe-core in the browser tests: `expectNoSeriousViolations(page, where)` fails on any serious or
 * critical violation, naming each rule, its nodes and where (view, theme, width).
 */
import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from 'playwright-core';

export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.impact} ${violation.id} x${violation.nodes.length}: ${violation.nodes
          .slice(0, 3)
          .map((node) => `${node.target.join(' ')} (${node.failureSummary?.split('\n').slice(1).join(' ') ?? ''})`)
          .join('; ')}`,
    );
}
