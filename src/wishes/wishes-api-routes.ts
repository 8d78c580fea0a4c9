import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { commonResponses, fenSchema, langQuery, operation, pageOf, pageQuery, pageSchema, yuanSchema } from '../api/api-schemas.js';
import { optionalQuery } from '../catalog/catalog-schemas.js';
import { pickText, type Locale } from '../i18n/i18n.js';
import { formatFen } from '../money.js';
import type { WishView } from './wishes-queries.js';
import { wishIdParams } from './wishes-schemas.js';
import type { WishesService } from './wishes-service.js';

const wishSchema = z.object({
  id: z.number().int(),
  url: z.string().describe("The wish's page (a path)"),
  childName: z.string().describe('A first name or pseudonym, as the wish board shows it'),
  age: z.number().int().describe('Years'),
  item: z.string(),
  amountFen: fenSchema,
  amount: yuanSchema,
  story: z.string(),
  project: z.object({ slug: z.string(), name: z.string() }),
  status: z.enum(['open', 'claimed', 'paid', 'delivered']),
  photoUrl: z.string().nullable().describe('Only with the consent given when the wish was posted'),
  deliveryPhotoUrl: z.string().nullable(),
});

const listQuery = pageQuery.extend({ status: optionalQuery(z.enum(['open', 'fulfilled'], { error: 'must be open or fulfilled' })) });

/** A wish as its public page shows it: first name or pseudonym and age, photos only with consent. */
function apiWish(w: WishView, locale: Locale): z.infer<typeof wishSchema> {
  const consented = w.photoConsent;
  return {
    id: w.id,
    url: `/wishes/${w.id}`,
    childName: w.childName,
    age: w.childAge,
    item: pickText(locale, w.item, w.itemEn),
    amountFen: w.amountFen,
    amount: formatFen(w.amountFen),
    story: pickText(locale, w.story, w.storyEn),
    project: { slug: w.projectSlug, name: pickText(locale, w.projectZh, w.projectEn) },
    // publicWish never returns a cancelled wish.
    status: w.status as z.infer<typeof wishSchema>['status'],
    photoUrl: consented && w.photoMediaId ? `/wishes/${w.id}/photo` : null,
    deliveryPhotoUrl: w.status === 'delivered' && consented && w.deliveryPhotoMediaId ? `/wishes/${w.id}/delivery-photo` : null,
  };
}

/** Micro-wishes in JSON (under /api/v1): the wish board's two lists and each public wish. */
export default async function wishesApiRoutes(root: FastifyInstance, deps: { wishes: WishesService }) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const cached = { config: { pageCache: true } };

  app.get(
    '/wishes',
    {
      ...cached,
      schema: {
        ...operation('listWishes', 'wishes'),
        querystring: listQuery,
        response: { 200: pageSchema(wishSchema).describe('One page of wishes'), ...commonResponses },
      },
    },
    async (request) => {
      const all = await (request.query.status === 'fulfilled' ? deps.wishes.fulfilledWishes() : deps.wishes.openWishes());
      const page = pageOf(all, request.query);
      return { ...page, items: page.items.map((w) => apiWish(w, request.locale)) };
    },
  );

  app.get(
    '/wishes/:id',
    {
      ...cached,
      schema: {
        ...operation('getWish', 'wishes'),
        params: wishIdParams,
        querystring: langQuery,
        response: { 200: wishSchema.describe('The wish'), ...commonResponses },
      },
    },
    async (request) => apiWish(await deps.wishes.publicWish(request.params.id), request.locale),
  );
}
