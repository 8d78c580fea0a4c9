import type { CheckpointRow } from './checkpoint-queries.js';
import type { ChainAnchor } from './ledger-service.js';

/**
 * The published checkpoint list in the two forms third parties keep (/impact/checkpoints.txt and
 * .json), and the reader `npm run ledger:check -- --checkpoints <file>` uses for either.
 */

const HASH = /^[0-9a-f]{64}$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const COLUMNS = ['published_on', 'transaction_count', 'head_transaction_id', 'head_hash', 'taken_at', 'kind'] as const;

export function checkpointsText(rows: readonly CheckpointRow[], source: string): string {
  const lines = [
    `# Xiangyi ledger checkpoints, oldest first: ${source}`,
    '# Verify a copy of the ledger with: npm run ledger:check -- --checkpoints <this file>',
    `# ${COLUMNS.join('\t')}`,
    ...rows.map((c) => [c.publishedOn, c.transactionCount, c.headTransactionId, c.headHash, new Date(c.takenAt).toISOString(), c.kind].join('\t')),
  ];
  return `${lines.join('\n')}\n`;
}

export function checkpointsJson(rows: readonly CheckpointRow[], source: string) {
  return {
    source,
    checkpoints: rows.map((c) => ({
      id: c.id,
      kind: c.kind,
      publishedOn: c.publishedOn,
      takenAt: new Date(c.takenAt).toISOString(),
      transactionCount: c.transactionCount,
      headTransactionId: c.headTransactionId,
      headHash: c.headHash,
    })),
  };
}

/** A checkpoint list that cannot be read: the message says where and why. */
export class CheckpointListError extends Error {}

function anchorOf(fields: Record<string, unknown>, where: string): ChainAnchor {
  const { publishedOn, transactionCount, headTransactionId, headHash } = fields;
  const hash = typeof headHash === 'string' ? headHash.toLowerCase() : '';
  if (!HASH.test(hash)) throw new CheckpointListError(`${where}: the head hash must be 64 hexadecimal characters`);
  const count = Number(transactionCount);
  if (!Number.isSafeInteger(count) || count < 1) throw new CheckpointListError(`${where}: the transaction count must be a whole number of at least 1`);
  const id = headTransactionId === undefined || headTransactionId === null ? undefined : Number(headTransactionId);
  if (id !== undefined && (!Number.isSafeInteger(id) || id < 1))
    throw new CheckpointListError(`${where}: the head transaction id must be a whole number of at least 1`);
  const day = typeof publishedOn === 'string' && DAY.test(publishedOn) ? publishedOn : null;
  return { label: day ? `${where} (${day})` : where, hash, count, headTransactionId: id };
}

/** Reads a checkpoint list in either published form (the text file or the JSON); `source` names it in messages. */
export function parseCheckpointList(content: string, source: string): ChainAnchor[] {
  const text = content.replace(/^\uFEFF/, '').trim();
  let anchors: ChainAnchor[];
  if (text.startsWith('{') || text.startsWith('[')) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw new CheckpointListError(`${source}: not valid JSON`);
    }
    const list = Array.isArray(data) ? data : (data as { checkpoints?: unknown }).checkpoints;
    if (!Array.isArray(list)) throw new CheckpointListError(`${source}: expected a "checkpoints" list`);
    anchors = list.map((item: unknown, i) => {
      if (typeof item !== 'object' || item === null) throw new CheckpointListError(`${source} checkpoint ${i + 1}: not an object`);
      return anchorOf(item as Record<string, unknown>, `${source} checkpoint ${i + 1}`);
    });
  } else {
    anchors = [];
    text.split(/\r?\n/).forEach((line, i) => {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) return;
      const [publishedOn, transactionCount, headTransactionId, headHash] = trimmed.split(/\s+/);
      anchors.push(anchorOf({ publishedOn, transactionCount, headTransactionId, headHash }, `${source} line ${i + 1}`));
    });
  }
  if (anchors.length === 0) throw new CheckpointListError(`${source}: no checkpoints in it`);
  return anchors;
}
