import { describe, expect, it } from 'vitest';
import { decideDisclosure, type Cell } from '../../src/coordinator/disclosure.js';

const cell = (projectId: number, villageId: number, ...households: number[]): Cell => ({ projectId, villageId, households });

describe('the disclosure rule', () => {
  it('publishes every scope when each cell holds three or more households', () => {
    const d = decideDisclosure([cell(1, 10, 1, 2, 3), cell(2, 20, 4, 5, 6, 7)], { projects: [1, 2], villages: [10, 20] });
    expect([...d.published].sort()).toEqual(['platform', 'project:1', 'project:2', 'village:10', 'village:20']);
    expect(d.households.get('platform')).toBe(7);
  });

  it('withholds a village of one household, and the sibling whose subtraction from the platform would give it away', () => {
    const d = decideDisclosure([cell(1, 10, 1), cell(2, 20, 4, 5, 6, 7)], { projects: [1, 2], villages: [10, 20] });
    expect(d.published.has('village:10')).toBe(false);
    expect(d.published.has('project:1')).toBe(false);
    // platform − village 20 would be household 1's money.
    expect(d.published.has('village:20') && d.published.has('platform')).toBe(false);
    expect(d.published.has('project:2') && d.published.has('platform')).toBe(false);
    expect(d.published.has('platform')).toBe(true);
  });

  it('closes a leak between the two ways of cutting the platform (a project less a village)', () => {
    // Project 1 sells in villages 10 and 20; village 20 has one household of project 1 and three of project 2.
    // Project 1 (4 households) − village 10 (3 households) = household 9's money alone.
    const cells = [cell(1, 10, 1, 2, 3), cell(1, 20, 9), cell(2, 20, 4, 5, 6)];
    const d = decideDisclosure(cells, { projects: [1, 2], villages: [10, 20] });
    expect(d.published.has('project:1') && d.published.has('village:10')).toBe(false);
    expect(d.published.has('project:2') && d.published.has('village:20')).toBe(false);
  });

  it('treats two households alone in a cell as a group too small to show', () => {
    const d = decideDisclosure([cell(1, 10, 1, 2), cell(2, 20, 4, 5, 6)], { projects: [1, 2], villages: [10, 20] });
    expect(d.published.has('project:1')).toBe(false);
    expect(d.published.has('village:10')).toBe(false);
    expect(d.published.has('platform') && (d.published.has('project:2') || d.published.has('village:20'))).toBe(false);
  });

  it('publishes nothing of a shop whose money reached fewer than three households, but publishes scopes that reached none', () => {
    const d = decideDisclosure([cell(1, 10, 1, 2)], { projects: [1, 2], villages: [10, 20] });
    expect([...d.published].sort()).toEqual(['project:2', 'village:20']);
  });
});
