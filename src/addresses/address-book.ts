import { and, asc, count, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Clock } from '../clock.js';
import type { Database_ } from '../db/client.js';
import { all, one, run, type Query, type Tx } from '../db/unit-of-work.js';
import { AppError } from '../errors.js';
import type { AddressForm } from './address-schemas.js';
import type { Divisions } from './divisions.js';
import { buyerAddresses, type BuyerAddress } from './schema.js';

/** How many addresses one buyer may keep. */
export const MAX_ADDRESSES = 20;

export type AddressFields = Omit<AddressForm, 'isDefault'>;

/** The division names do not name a place: the form marks the field. */
export class DivisionError extends AppError {
  constructor(readonly field: 'province' | 'city' | 'district') {
    super('validation', 'division_invalid', undefined, { fields: { [field]: 'validation.division' } });
  }
}

/**
 * The buyer's address book. Every read and write names the buyer and the address: an address of
 * someone else is "not found", never shown or changed. One address at most is the default (a
 * unique key); the first one saved becomes it, and deleting it passes it to the newest left.
 */
export function createAddressBook(db: Database_, deps: { clock: Clock; divisions: Divisions }) {
  const { clock, divisions } = deps;

  const check = (f: AddressFields) => {
    const problem = divisions.problem(f.province, f.city, f.district);
    if (problem) throw new DivisionError(problem.field);
  };

  function* list(tx: Tx, userId: number): Query<BuyerAddress[]> {
    return yield* all(
      tx.select().from(buyerAddresses).where(eq(buyerAddresses.userId, userId)).orderBy(sql`${buyerAddresses.isDefault} IS NULL`, desc(buyerAddresses.id)),
    );
  }

  function* own(tx: Tx, userId: number, id: number): Query<BuyerAddress> {
    const row = yield* one(
      tx
        .select()
        .from(buyerAddresses)
        .where(and(eq(buyerAddresses.id, id), eq(buyerAddresses.userId, userId))),
    );
    if (!row) throw new AppError('not_found', 'address_not_found');
    return row;
  }

  function* makeDefault(tx: Tx, userId: number, id: number): Query<void> {
    yield* run(
      tx
        .update(buyerAddresses)
        .set({ isDefault: null })
        .where(and(eq(buyerAddresses.userId, userId), eq(buyerAddresses.isDefault, 1))),
    );
    yield* run(
      tx
        .update(buyerAddresses)
        .set({ isDefault: 1, updatedAt: clock() })
        .where(and(eq(buyerAddresses.id, id), eq(buyerAddresses.userId, userId))),
    );
  }

  function* insert(tx: Tx, userId: number, f: AddressFields, asDefault: boolean): Query<number> {
    const n = (yield* one(tx.select({ n: count() }).from(buyerAddresses).where(eq(buyerAddresses.userId, userId))))?.n ?? 0;
    if (n >= MAX_ADDRESSES) throw new AppError('conflict', 'address_book_full', undefined, { params: { max: MAX_ADDRESSES } });
    const now = clock();
    const row = yield* one(
      tx
        .insert(buyerAddresses)
        .values({ userId, ...fieldsOf(f), isDefault: null, createdAt: now, updatedAt: now })
        .returning({ id: buyerAddresses.id }),
    );
    const id = row!.id;
    if (asDefault || n === 0) yield* makeDefault(tx, userId, id);
    return id;
  }

  return {
    list: (userId: number): Promise<BuyerAddress[]> => db.uow.read((tx) => list(tx, userId)),

    /** The buyer's own address, else "not found". */
    get: (userId: number, id: number): Promise<BuyerAddress> => db.uow.read((tx) => own(tx, userId, id)),

    /** The default address, if the buyer has one. */
    defaultOf: (userId: number): Promise<BuyerAddress | undefined> =>
      db.uow.read((tx) =>
        one(
          tx
            .select()
            .from(buyerAddresses)
            .where(and(eq(buyerAddresses.userId, userId), eq(buyerAddresses.isDefault, 1))),
        ),
      ),

    add(userId: number, form: AddressForm): Promise<number> {
      check(form);
      return db.uow.write((tx) => insert(tx, userId, form, form.isDefault));
    },

    update(userId: number, id: number, form: AddressForm): Promise<void> {
      check(form);
      return db.uow.write(function* (tx) {
        yield* own(tx, userId, id);
        yield* run(
          tx
            .update(buyerAddresses)
            .set({ ...fieldsOf(form), updatedAt: clock() })
            .where(and(eq(buyerAddresses.id, id), eq(buyerAddresses.userId, userId))),
        );
        if (form.isDefault) yield* makeDefault(tx, userId, id);
      });
    },

    setDefault: (userId: number, id: number): Promise<void> =>
      db.uow.write(function* (tx) {
        yield* own(tx, userId, id);
        yield* makeDefault(tx, userId, id);
      }),

    remove: (userId: number, id: number): Promise<void> =>
      db.uow.write(function* (tx) {
        const row = yield* own(tx, userId, id);
        yield* run(tx.delete(buyerAddresses).where(and(eq(buyerAddresses.id, id), eq(buyerAddresses.userId, userId))));
        if (row.isDefault === 1) {
          const next = yield* one(
            tx
              .select({ id: buyerAddresses.id })
              .from(buyerAddresses)
              .where(and(eq(buyerAddresses.userId, userId), isNull(buyerAddresses.isDefault)))
              .orderBy(desc(buyerAddresses.id))
              .limit(1),
          );
          if (next) yield* makeDefault(tx, userId, next.id);
        }
      }),

    /**
     * An address typed at checkout, kept for next time: nothing is added when the book already has
     * the same one, or is full (the order is placed either way). It is the default only when it is
     * the first. The names must be divisions (the checkout marks them otherwise).
     */
    saveFromCheckout(userId: number, f: AddressFields): Promise<void> {
      check(f);
      return db.uow.write(function* (tx) {
        const same = yield* one(
          tx
            .select({ id: buyerAddresses.id })
            .from(buyerAddresses)
            .where(
              and(
                eq(buyerAddresses.userId, userId),
                eq(buyerAddresses.recipientName, f.recipientName),
                eq(buyerAddresses.phone, f.phone),
                eq(buyerAddresses.province, f.province),
                eq(buyerAddresses.city, f.city),
                eq(buyerAddresses.district, f.district),
                eq(buyerAddresses.street, f.street),
              ),
            )
            .orderBy(asc(buyerAddresses.id))
            .limit(1),
        );
        if (same) return;
        const n = (yield* one(tx.select({ n: count() }).from(buyerAddresses).where(eq(buyerAddresses.userId, userId))))?.n ?? 0;
        if (n >= MAX_ADDRESSES) return;
        yield* insert(tx, userId, f, false);
      });
    },
  };
}

const fieldsOf = (f: AddressFields) => ({
  recipientName: f.recipientName,
  phone: f.phone,
  province: f.province,
  city: f.city,
  district: f.district,
  street: f.street,
});

export type AddressBook = ReturnType<typeof createAddressBook>;
