import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditActionInWords, auditEntityInWords } from '../../src/audit/audit-words.js';
import { hasMessage, translatorFor } from '../../src/i18n/i18n.js';

/** The audit log reads as sentences in both languages, for every action the services record. */

const SRC = join(import.meta.dirname, '..', '..', 'src');
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

/** Every code written as `action: 'x.y'` (or either side of a conditional) and every `entityType: 'x'` in the services. */
function recorded(): { actions: Set<string>; entities: Set<string> } {
  const actions = new Set<string>();
  const entities = new Set<string>();
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const line of text.match(/\baction: [^,\n]*/g) ?? []) for (const [, code] of line.matchAll(/'([a-z_]+\.[a-z_]+)'/g)) actions.add(code!);
    for (const [, type] of text.matchAll(/\bentityType: '([a-z_]+)'/g)) entities.add(type!);
  }
  return { actions, entities };
}

describe('the audit log in words', () => {
  const { actions, entities } = recorded();

  it('has a sentence for every action code the services record, and a name for every kind of object', () => {
    expect(actions.size).toBeGreaterThan(40);
    expect([...actions].filter((a) => !hasMessage(`audit.action.${a}`))).toEqual([]);
    expect([...entities].filter((e) => !hasMessage(`audit.entity.${e}`))).toEqual([]);
  });

  it('says mark_paid and stock_adjust as sentences in Chinese and English', () => {
    const zh = translatorFor('zh-CN');
    const en = translatorFor('en');
    expect(auditActionInWords('order.mark_paid', zh)).toBe('确认订单已付款（银行转账）');
    expect(auditActionInWords('order.mark_paid', en)).toBe('Confirmed an order’s bank transfer');
    expect(auditActionInWords('product.stock_adjust', zh)).toBe('调整了库存');
    expect(auditActionInWords('product.stock_adjust', en)).toBe('Adjusted stock');
    expect(auditEntityInWords('order', 'XY-20261205-0001', en)).toBe('order #XY-20261205-0001');
    // A code recorded before its sentence existed still shows.
    expect(auditActionInWords('stock.adjust', en)).toBe('stock.adjust');
  });
});
