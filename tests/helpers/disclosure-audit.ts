/**
 * A journalist's attack on the public figures, independent of src/coordinator/disclosure.ts: every
 * published total is a sum of unknowns (one per household per project × village cell it was
 * credited in); a household's money — or a pair's — is revealed when some combination of the
 * published totals equals a non-zero sum of that household's (or pair's) unknowns alone. Decided
 * exactly, over the rationals, with fraction-free elimination in BigInt.
 */

export interface Unknown {
  householdId: number;
  projectId: number;
  villageId: number;
}

/** A published total: the unknowns it sums. */
export type PublishedSum = (u: Unknown) => boolean;

/** Rank over the rationals of integer row vectors (Bareiss elimination, exact). */
function rank(rows: bigint[][]): number {
  const m = rows.map((r) => [...r]);
  const width = m[0]?.length ?? 0;
  let r = 0;
  let prev = 1n;
  for (let c = 0; c < width && r < m.length; c++) {
    const pivot = m.findIndex((row, i) => i >= r && row[c] !== 0n);
    if (pivot < 0) continue;
    [m[r], m[pivot]] = [m[pivot]!, m[r]!];
    for (let i = r + 1; i < m.length; i++) {
      for (let k = c + 1; k < width; k++) m[i]![k] = (m[r]![c]! * m[i]![k]! - m[i]![c]! * m[r]![k]!) / prev;
      m[i]![c] = 0n;
    }
    prev = m[r]![c]!;
    r++;
  }
  return r;
}

/**
 * The groups of one or two households whose money the published sums reveal (empty when none).
 * A group G is revealed when the row space of the sums meets the span of G's unknowns:
 * rank(sums) + |G's unknowns| > rank(sums ∪ G's unit vectors).
 */
export function revealedGroups(unknowns: readonly Unknown[], published: readonly PublishedSum[]): number[][] {
  const rows = published.map((sum) => unknowns.map((u) => (sum(u) ? 1n : 0n))).filter((r) => r.some((x) => x !== 0n));
  const base = rank(rows);
  const households = [...new Set(unknowns.map((u) => u.householdId))].sort((a, b) => a - b);
  const unitRows = (group: number[]) => unknowns.flatMap((u, i) => (group.includes(u.householdId) ? [unknowns.map((_, j) => (j === i ? 1n : 0n))] : []));
  const revealed: number[][] = [];
  const groups = [...households.map((h) => [h]), ...households.flatMap((a, i) => households.slice(i + 1).map((b) => [a, b]))];
  for (const group of groups) {
    const units = unitRows(group);
    if (rank([...rows, ...units]) < base + units.length) revealed.push(group);
  }
  return revealed;
}
