import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideDisclosure, type Cell } from '../../src/coordinator/disclosure.js';
import { revealedGroups, type PublishedSum, type Unknown } from '../helpers/disclosure-audit.js';

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

describe('the disclosure rule, against an exact solver of the published sums', () => {
  it('(the solver) finds the household that publishing every total would give away: a project less a village', () => {
    const unknowns: Unknown[] = [
      ...[1, 2, 3].map((h) => ({ householdId: h, projectId: 1, villageId: 10 })),
      { householdId: 9, projectId: 1, villageId: 20 },
      ...[4, 5, 6].map((h) => ({ householdId: h, projectId: 2, villageId: 20 })),
    ];
    const every: PublishedSum[] = [() => true, (u) => u.projectId === 1, (u) => u.projectId === 2, (u) => u.villageId === 10, (u) => u.villageId === 20];
    expect(revealedGroups(unknowns, every)).toContainEqual([9]);
    expect(revealedGroups(unknowns, [() => true, (u) => u.projectId === 1])).toEqual([]);
  });

  it('leaves no household and no pair of households computable, whatever the cells', () => {
    // Households belong to one village each and earn in one to three projects there (and now and
    // then through a producer of a neighbouring village).
    const shop = fc.record({
      households: fc.array(
        fc.record({
          village: fc.integer({ min: 1, max: 4 }),
          projects: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
          elsewhere: fc.option(fc.integer({ min: 1, max: 4 }), { freq: 5 }),
        }),
        { minLength: 1, maxLength: 14 },
      ),
    });
    fc.assert(
      fc.property(shop, ({ households }) => {
        const unknowns: Unknown[] = households.flatMap((h, i) =>
          h.projects.map((projectId, k) => ({ householdId: i + 1, projectId, villageId: k === 0 && h.elsewhere !== null ? h.elsewhere : h.village })),
        );
        const cells = new Map<string, Cell>();
        for (const u of unknowns) {
          const key = `${u.projectId}:${u.villageId}`;
          const c = cells.get(key) ?? { projectId: u.projectId, villageId: u.villageId, households: [] };
          cells.set(key, { ...c, households: [...new Set([...c.households, u.householdId])] });
        }
        const d = decideDisclosure([...cells.values()], { projects: [1, 2, 3, 4], villages: [1, 2, 3, 4] });
        const sums = [...d.published].map((scope): PublishedSum => {
          if (scope === 'platform') return () => true;
          const [kind, id] = scope.split(':');
          return (u) => (kind === 'project' ? u.projectId : u.villageId) === Number(id);
        });
        expect(revealedGroups(unknowns, sums)).toEqual([]);
        // The headline is kept whenever three or more households were reached.
        if (new Set(unknowns.map((u) => u.householdId)).size >= 3) expect(d.published.has('platform')).toBe(true);
      }),
      { numRuns: 300, seed: 20261204 },
    );
  });
});
