import { hasMessage, type Translator } from '../i18n/i18n.js';

/** An audit action code (order.mark_paid) as a sentence; a code without one is shown as it is. */
export function auditActionInWords(action: string, t: Translator): string {
  const key = `audit.action.${action}`;
  return hasMessage(key) ? t(key) : action;
}

/** The object an audit entry is about, in words: "订单 #12", "order #12". */
export function auditEntityInWords(entityType: string, entityId: string, t: Translator): string {
  const key = `audit.entity.${entityType}`;
  return hasMessage(key) ? t(key, { id: entityId }) : `${entityType} #${entityId}`;
}
