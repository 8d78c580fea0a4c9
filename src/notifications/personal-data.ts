import { asc, eq, inArray, sql } from 'drizzle-orm';
import { all, run, type Query, type Tx } from '../db/unit-of-work.js';
import { mailPreferences, outboxMessages } from './schema.js';

/**
 * The notifications domain's part of personal-data requests (src/privacy): the messages the outbox
 * holds for a person's e-mail address and phone numbers, and erasing them.
 */

/** What an erased message's recipient becomes: it names nobody and is never delivered to. */
export const ERASED_RECIPIENT = 'erased';

/** The messages written to these recipients (e-mail addresses, phone numbers), oldest first. */
export function* messagesTo(tx: Tx, recipients: readonly string[]) {
  if (!recipients.length) return [];
  return yield* all(
    tx
      .select({
        kind: outboxMessages.kind,
        recipient: outboxMessages.recipient,
        subject: outboxMessages.subject,
        textBody: outboxMessages.textBody,
        status: outboxMessages.status,
        createdAt: outboxMessages.createdAt,
        sentAt: outboxMessages.sentAt,
      })
      .from(outboxMessages)
      .where(inArray(outboxMessages.recipient, [...recipients]))
      .orderBy(asc(outboxMessages.id)),
  );
}

/**
 * Erases the recipient, subject and bodies of the messages to these recipients; one not yet sent
 * is not sent (it becomes failed). The row stays, so the outbox's counts do not change. Also forgets
 * the person's mail preferences. Returns how many messages were erased.
 */
export function* eraseMessagesTo(tx: Tx, recipients: readonly string[], userId: number | null): Query<number> {
  if (userId !== null) yield* run(tx.delete(mailPreferences).where(eq(mailPreferences.userId, userId)));
  if (!recipients.length) return 0;
  const erased = yield* all(
    tx
      .update(outboxMessages)
      .set({
        recipient: ERASED_RECIPIENT,
        subject: '',
        textBody: '',
        htmlBody: '',
        headers: '{}',
        dedupeKey: null,
        status: sql`CASE WHEN ${outboxMessages.status} = 'sent' THEN 'sent' ELSE 'failed' END`,
        lastError: sql`CASE WHEN ${outboxMessages.status} = 'sent' THEN ${outboxMessages.lastError} ELSE 'recipient erased (personal-data request)' END`,
        leaseUntil: null,
        leaseToken: null,
      })
      .where(inArray(outboxMessages.recipient, [...recipients]))
      .returning({ id: outboxMessages.id }),
  );
  return erased.length;
}
