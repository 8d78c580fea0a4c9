import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { currentUser, requireRole } from '../accounts/guards.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { AppError } from '../errors.js';
import { parseForm, typedValues, type FieldMessages } from '../forms.js';
import { csrfTokenFor } from '../plugins/security.js';
import { DivisionError, MAX_ADDRESSES, type AddressBook } from './address-book.js';
import { addressIdParams, addressSchema, divisionsQuery } from './address-schemas.js';
import type { BuyerAddress } from './schema.js';
import type { Divisions } from './divisions.js';

/** The three selects of an address form, each narrowed to what the choice above it allows. */
export function divisionChoices(divisions: Divisions, values: Record<string, string>) {
  const mark = (names: { name: string }[], chosen: string | undefined) => names.map((d) => ({ name: d.name, selected: d.name === chosen }));
  const province = values.province ?? '';
  const city = values.city ?? '';
  return {
    provinces: mark(divisions.provinces(), province),
    cities: mark(divisions.cities(province), city),
    districts: mark(divisions.districts(province, city), values.district),
  };
}

const valuesOf = (a: BuyerAddress): Record<string, string> => ({
  recipientName: a.recipientName,
  phone: a.phone,
  province: a.province,
  city: a.city,
  district: a.district,
  street: a.street,
  isDefault: a.isDefault === 1 ? 'on' : '',
});

/**
 * The signed-in buyer's address book. Each address is reached through its owner (another buyer's
 * is 404); forms carry the CSRF token like every other. The division selects work without script:
 * "update the lists" re-renders the form narrowed to the province and city chosen; with script
 * (static/js/divisions.js) the lists follow each choice from GET /divisions.
 */
export default async function addressRoutes(root: FastifyInstance, opts: { addressBook: AddressBook; divisions: Divisions }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { addressBook, divisions } = opts;
  const buyerOnly = { preHandler: requireRole('buyer') };

  function renderForm(
    request: FastifyRequest,
    reply: FastifyReply,
    o: { id: number | null; values: Record<string, string>; fields: FieldMessages; status?: number; error?: string | null },
  ) {
    reply.header('cache-control', 'no-store');
    return reply.code(o.status ?? 200).view('accounts/address-form', {
      title: request.t(o.id === null ? 'address.addTitle' : 'address.editTitle'),
      action: o.id === null ? '/account/addresses' : `/account/addresses/${o.id}`,
      values: o.values,
      fields: o.fields,
      error: o.error ?? null,
      isDefault: o.values.isDefault === 'on',
      ...divisionChoices(divisions, o.values),
      csrfToken: csrfTokenFor(reply),
    });
  }

  /** Validates and saves; a division that is not where it should be, a full book or a foreign address answer on the form. */
  async function save(request: FastifyRequest, reply: FastifyReply, id: number | null) {
    const values = typedValues(request.body);
    if (values.step === 'narrow') return renderForm(request, reply, { id, values, fields: {} });
    const form = parseForm(addressSchema, request.body, request.t);
    if (!form.ok) return renderForm(request, reply, { id, values, fields: form.fields, status: 422 });
    const user = currentUser(request);
    try {
      if (id === null) await addressBook.add(user.id, form.data);
      else await addressBook.update(user.id, id, form.data);
    } catch (error) {
      if (error instanceof DivisionError)
        return renderForm(request, reply, { id, values, fields: { [error.field]: request.t('validation.division') }, status: 422 });
      if (error instanceof AppError && error.code === 'address_book_full')
        return renderForm(request, reply, { id, values, fields: {}, status: 409, error: request.t('errors.address_book_full', { max: MAX_ADDRESSES }) });
      throw error;
    }
    reply.flash('success', request.t(id === null ? 'address.added' : 'address.updated'));
    return reply.redirect('/account/addresses', 303);
  }

  app.get('/account/addresses', { ...buyerOnly, schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const rows = await addressBook.list(currentUser(request).id);
    return reply.view('accounts/addresses', {
      title: request.t('address.title'),
      addresses: rows.map((a) => ({ ...a, isDefault: a.isDefault === 1 })),
      canAdd: rows.length < MAX_ADDRESSES,
      max: MAX_ADDRESSES,
      csrfToken: csrfTokenFor(reply),
    });
  });

  app.get('/account/addresses/new', { ...buyerOnly, schema: { querystring: plainQuerySchema } }, async (request, reply) =>
    renderForm(request, reply, { id: null, values: {}, fields: {} }),
  );

  app.post('/account/addresses', buyerOnly, async (request, reply) => save(request, reply, null));

  app.get('/account/addresses/:id/edit', { ...buyerOnly, schema: { params: addressIdParams, querystring: plainQuerySchema } }, async (request, reply) => {
    const address = await addressBook.get(currentUser(request).id, request.params.id);
    return renderForm(request, reply, { id: address.id, values: valuesOf(address), fields: {} });
  });

  app.post('/account/addresses/:id', { ...buyerOnly, schema: { params: addressIdParams } }, async (request, reply) => {
    // Not found before anything else: the form of someone else's address is never rendered.
    await addressBook.get(currentUser(request).id, request.params.id);
    return save(request, reply, request.params.id);
  });

  app.post('/account/addresses/:id/default', { ...buyerOnly, schema: { params: addressIdParams } }, async (request, reply) => {
    await addressBook.setDefault(currentUser(request).id, request.params.id);
    reply.flash('success', request.t('address.defaultSet'));
    return reply.redirect('/account/addresses', 303);
  });

  app.post('/account/addresses/:id/delete', { ...buyerOnly, schema: { params: addressIdParams } }, async (request, reply) => {
    await addressBook.remove(currentUser(request).id, request.params.id);
    reply.flash('success', request.t('address.deleted'));
    return reply.redirect('/account/addresses', 303);
  });

  // Public data (the official divisions): the names below a province or a city, for the forms' script.
  app.get('/divisions', { schema: { querystring: divisionsQuery } }, async (request, reply) => {
    const { province, city } = request.query;
    const names = (city ? divisions.districts(province, city) : divisions.cities(province)).map((d) => d.name);
    reply.header('cache-control', 'public, max-age=86400');
    return { names };
  });
}
