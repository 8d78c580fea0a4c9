import { createHmac, timingSafeEqual } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { DEFAULT_LOCALE, isLocale, type Locale } from '../i18n/i18n.js';
import { mailPreferences } from './schema.js';

/**
 * A person's e-mail settings: the language messages about them are written in (that of their last
 * sign-in) and whether notices that are not transactional are off. The links in notices carry an
 * HMAC of the user id, so the settings page and one-click unsubscribe work without signing in.
 */
export function createMailPreferences(db: Database_, deps: { clock: Clock; secret: string; publicUrl: string }) {
  const sign = (userId: number) => createHmac('sha256', deps.secret).update(`mail-preferences:${userId}`).digest('base64url');
  const row = (tx: Tx, userId: number) => one(tx.select().from(mailPreferences).where(eq(mailPreferences.userId, userId)));

  function* upsert(tx: Tx, userId: number, values: { locale?: Locale; noticesOff?: boolean }): Query<void> {
    const now = deps.clock();
    yield* run(
      tx
        .insert(mailPreferences)
        .values({ userId, locale: values.locale ?? DEFAULT_LOCALE, noticesOff: values.noticesOff ?? false, updatedAt: now })
        .onConflictDoUpdate({
          target: mailPreferences.userId,
          set: {
            ...(values.locale ? { locale: values.locale } : {}),
            ...(values.noticesOff !== undefined ? { noticesOff: values.noticesOff } : {}),
            updatedAt: sql`${now}`,
          },
        }),
    );
  }

  function* noticesOffIn(tx: Tx, userId: number): Query<boolean> {
    return (yield* row(tx, userId))?.noticesOff ?? false;
  }

  return {
    /** Called at each sign-in: later messages are written in the language the person uses. */
    recordLocale: (userId: number, locale: Locale): Promise<void> =>
      db.uow.write(function* (tx) {
        if ((yield* row(tx, userId))?.locale !== locale) yield* upsert(tx, userId, { locale });
      }),

    /** The language messages about the person are written in: a step of the unit of work that writes them. */
    *localeOf(tx: Tx, userId: number): Query<Locale> {
      const locale = (yield* row(tx, userId))?.locale;
      return isLocale(locale) ? locale : DEFAULT_LOCALE;
    },

    /** Whether the person turned off notices that are not transactional: a step of the unit of work that would write one. */
    noticesOffIn,

    /** The same, for the settings page. */
    noticesOff: (userId: number): Promise<boolean> => db.uow.read((tx) => noticesOffIn(tx, userId)),

    setNoticesOff: (userId: number, off: boolean): Promise<void> => db.uow.write((tx) => upsert(tx, userId, { noticesOff: off })),

    /** The signed links of a notice: the settings page, and the one-click unsubscribe (RFC 8058). */
    linksFor(userId: number): { preferencesUrl: string; oneClickUrl: string } {
      const query = `u=${userId}&sig=${sign(userId)}`;
      return { preferencesUrl: `${deps.publicUrl}/mail/preferences?${query}`, oneClickUrl: `${deps.publicUrl}/mail/unsubscribe?${query}` };
    },
    /** The user id a signed link is for, or null when the signature is wrong. */
    verify(userId: number, sig: string): boolean {
      const expected = Buffer.from(sign(userId));
      const given = Buffer.from(sig);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

export type MailPreferences = ReturnType<typeof createMailPreferences>;
