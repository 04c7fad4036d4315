import type { JobView } from '@darkroom/core';
import { describe, expect, it } from 'vitest';
import { groupByBatch, listFilters, NO_FILTERS } from './history.js';

describe('listFilters', () => {
  it('leaves empty fields out', () => {
    expect(listFilters(NO_FILTERS)).toEqual({});
    expect(listFilters({ ...NO_FILTERS, projectId: '  ', search: ' ' })).toEqual({});
  });

  it('turns days into local-midnight instants, the "to" day included', () => {
    const filters = listFilters({
      ...NO_FILTERS,
      status: 'failed',
      preset: 'cover',
      projectId: ' atlas ',
      from: '2026-03-01',
      to: '2026-03-02',
      search: ' fox ',
    });
    expect(filters).toEqual({
      status: 'failed',
      preset: 'cover',
      projectId: 'atlas',
      createdFrom: new Date(2026, 2, 1).toISOString(),
      createdTo: new Date(2026, 2, 3).toISOString(),
      search: 'fox',
    });
  });
});

describe('groupByBatch', () => {
  const job = (id: string, batchId: string | null) => ({ id, batchId }) as JobView;

  it('groups consecutive jobs of one batch and leaves the rest alone', () => {
    const groups = groupByBatch([job('a', null), job('b', 'x'), job('c', 'x'), job('d', null), job('e', 'y')]);
    expect(groups.map((group) => group.jobs.map((j) => j.id))).toEqual([['a'], ['b', 'c'], ['d'], ['e']]);
    expect(groups.map((group) => group.batchId)).toEqual([null, 'x', null, 'y']);
  });
});
