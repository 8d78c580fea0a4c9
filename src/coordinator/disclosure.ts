import { MIN_NAMED_GROUP as MIN_GROUP } from '../orders/benefit.js';

/**
 * Which public money figures may be published without revealing what any small group of
 * households earned — the disclosure rule of DESIGN.md, enforced the way a journalist would attack
 * it: by solving the published sums.
 *
 * Every money figure of a scope (the platform, a project, a village: sales, credited, paid out) is
 * a sum over *cells*: one project × village pair each, holding the households credited there.
 * Publishing the totals of some scopes makes some sums of cells known, and subtracting published
 * totals makes others known (the platform less every published village is the rest). A figure is
 * revealed when a combination of published totals equals a sum supported only on the cells of one
 * or two households: that household's or pair's money (a household knows its own figures, so a
 * pair's total gives each the other's). The rule: no such combination may exist.
 *
 * Per-household amounts are never published, not even for households who agreed to be named:
 * consent covers a display name and a story, not income, and a named amount subtracted from a
 * total gives away the rest of the group.
 *
 * Method: the published totals are the rows of a 0/1 matrix over the cells. A sum supported on a
 * set of cells T is in the row space exactly when it is orthogonal to the matrix's null space, so
 * T is exposed when the null-space basis restricted to T's columns has rank below |T|. Arithmetic is
 * modulo a prime below 2^26 (products stay exact in a double); a rank lost to the modulus can only
 * make a figure look exposed, never hide an exposure. Scopes are published greedily: every scope of
 * 0 or at least MIN_GROUP (3) households, then, while any group is exposed, the smallest scope whose
 * withdrawal closes the exposure is withdrawn (complementary suppression).
 */

export interface Cell {
  projectId: number;
  villageId: number;
  /** Households with money credited in this cell. */
  households: readonly number[];
}

export type ScopeKey = 'platform' | `project:${number}` | `village:${number}`;

export interface Disclosure {
  /** Scopes whose money figures are published. */
  published: ReadonlySet<ScopeKey>;
  /** Households reached per scope (a count is always published). */
  households: ReadonlyMap<ScopeKey, number>;
}

const P = 67_108_859; // the largest prime below 2^26
// Both factors are below 2^26, so the product is below 2^52: exact in a double.
const mul = (a: number, b: number) => (a * b) % P;
const mod = (a: number) => ((a % P) + P) % P;

function inverse(a: number): number {
  let [t, newT, r, newR] = [0, 1, P, a];
  while (newR !== 0) {
    const q = Math.floor(r / newR);
    [t, newT] = [newT, t - q * newT];
    [r, newR] = [newR, r - q * newR];
  }
  return mod(t);
}

/** Reduced row echelon form (mod P) in place; returns the pivot column of each non-zero row. */
function reduce(rows: number[][], width: number): number[] {
  const pivots: number[] = [];
  let r = 0;
  for (let c = 0; c < width && r < rows.length; c++) {
    const found = rows.findIndex((row, i) => i >= r && row[c] !== 0);
    if (found < 0) continue;
    [rows[r], rows[found]] = [rows[found]!, rows[r]!];
    const pivotRow = rows[r]!;
    const inv = inverse(pivotRow[c]!);
    for (let k = c; k < width; k++) pivotRow[k] = mul(pivotRow[k]!, inv);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (i === r || row[c] === 0) continue;
      const f = row[c]!;
      for (let k = c; k < width; k++) if (pivotRow[k] !== 0) row[k] = mod(row[k]! - mul(f, pivotRow[k]!));
    }
    pivots.push(c);
    r++;
  }
  return pivots;
}

function rank(vectors: number[][], width: number): number {
  return reduce(
    vectors.map((v) => [...v]),
    width,
  ).length;
}

/**
 * For each cell, its column of the null-space basis of the published rows: the cells of a set T are
 * exposed together when these columns are linearly dependent.
 */
function nullSpaceColumns(rows: number[][], width: number): number[][] {
  const m = rows.map((r) => [...r]);
  const pivots = reduce(m, width);
  const pivotSet = new Set(pivots);
  const free = [...Array(width).keys()].filter((c) => !pivotSet.has(c));
  const columns: number[][] = Array.from({ length: width }, () => new Array<number>(free.length).fill(0));
  free.forEach((f, j) => {
    columns[f]![j] = 1;
    pivots.forEach((p, i) => {
      columns[p]![j] = mod(-m[i]![f]!);
    });
  });
  return columns;
}

/** The cells of each group of one or two households that holds a cell of its own; largest groups last. */
function candidateGroups(cells: readonly Cell[]): number[][] {
  const small = cells.map((c, i) => ({ i, hs: [...new Set(c.households)] })).filter((c) => c.hs.length > 0 && c.hs.length < MIN_GROUP);
  const householdsInSmall = [...new Set(small.flatMap((c) => c.hs))].sort((a, b) => a - b);
  const cellsWithin = (group: Set<number>) => small.filter((c) => c.hs.every((h) => group.has(h))).map((c) => c.i);
  const groups: number[][] = [];
  for (const h of householdsInSmall) {
    const t = cellsWithin(new Set([h]));
    if (t.length) groups.push(t);
  }
  for (let a = 0; a < householdsInSmall.length; a++) {
    for (let b = a + 1; b < householdsInSmall.length; b++) {
      const t = cellsWithin(new Set([householdsInSmall[a]!, householdsInSmall[b]!]));
      if (t.length) groups.push(t);
    }
  }
  return groups;
}

/** The cells of `scope`, as indexes into `cells`. */
function cellsOf(scope: ScopeKey, cells: readonly Cell[]): number[] {
  if (scope === 'platform') return cells.map((_, i) => i);
  const [kind, id] = scope.split(':') as ['project' | 'village', string];
  return cells.flatMap((c, i) => ((kind === 'project' ? c.projectId : c.villageId) === Number(id) ? [i] : []));
}

/** The first group of `groups` whose cells the published rows expose, or null. */
function exposed(published: readonly ScopeKey[], cells: readonly Cell[], groups: readonly number[][]): number[] | null {
  const width = cells.length;
  if (width === 0 || published.length === 0) return null;
  const rows = published.map((scope) => {
    const row = new Array<number>(width).fill(0);
    for (const i of cellsOf(scope, cells)) row[i] = 1;
    return row;
  });
  const columns = nullSpaceColumns(rows, width);
  const freeCount = columns[0]!.length;
  for (const group of groups) {
    if (
      freeCount === 0 ||
      rank(
        group.map((i) => columns[i]!),
        freeCount,
      ) < group.length
    )
      return group;
  }
  return null;
}

/**
 * Decides which scopes' money figures are published. `cells` are the project × village cells with
 * households credited (cells with none hold no household's money and are left out).
 */
export function decideDisclosure(cells: readonly Cell[], scopes: { projects: readonly number[]; villages: readonly number[] }): Disclosure {
  const withHouseholds = cells.filter((c) => c.households.length > 0);
  const all: ScopeKey[] = ['platform', ...scopes.projects.map((id) => `project:${id}` as const), ...scopes.villages.map((id) => `village:${id}` as const)];
  const households = new Map<ScopeKey, number>(all.map((s) => [s, new Set(cellsOf(s, withHouseholds).flatMap((i) => withHouseholds[i]!.households)).size]));
  const count = (s: ScopeKey) => households.get(s) ?? 0;
  let published = all.filter((s) => count(s) === 0 || count(s) >= MIN_GROUP);
  const groups = candidateGroups(withHouseholds);
  // The platform's total is the headline: a leak is closed by withdrawing projects or villages,
  // smallest first — one whose withdrawal alone closes it if there is one — and the platform's only
  // when nothing else is left.
  const bySize = (a: ScopeKey, b: ScopeKey) => count(a) - count(b) || a.localeCompare(b);
  for (let group = exposed(published, withHouseholds, groups); group !== null; group = exposed(published, withHouseholds, groups)) {
    const leak = group;
    const candidates = published.filter((s) => s !== 'platform' && count(s) > 0).sort(bySize);
    const closes = candidates.find(
      (s) =>
        exposed(
          published.filter((p) => p !== s),
          withHouseholds,
          [leak],
        ) === null,
    );
    const withdraw = closes ?? candidates[0] ?? (published.includes('platform') ? 'platform' : undefined);
    if (withdraw === undefined) break;
    published = published.filter((p) => p !== withdraw);
  }
  return { published: new Set(published), households };
}
