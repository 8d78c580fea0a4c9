import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fieldMessagesOf } from '../form-errors.js';
import { currentUser, requireRole } from '../accounts/guards.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import { AppError } from '../errors.js';
import { parseForm, typedValues, type FieldMessages } from '../forms.js';
import { pickText, type MessageKey } from '../i18n/i18n.js';
import type { Media } from '../media/media-queries.js';
import { fenToYuanInput, formatFen } from '../money.js';
import { cartOwnerOf, errorMessage } from '../orders/orders-routes.js';
import { csrfTokenFor } from '../plugins/security.js';
import { formatDateTime } from '../time.js';
import { readMultipartForm } from '../multipart-form.js';
import type { StartWishCheckout } from './wish-checkout.js';
import type { WishView } from './wishes-queries.js';
import { claimSchema, deliverySchema, wishFormSchema, wishIdParams } from './wishes-schemas.js';
import type { WishesService } from './wishes-service.js';

export interface WishesRoutesDeps {
  wishes: WishesService;
  catalog: CatalogService;
  /** Stripe Checkout for a wish's donation; null when Stripe is off (bank transfer only). */
  startWishCheckout: StartWishCheckout | null;
  maxUploadBytes: number;
}

/** Private images (a child's photo, a delivery photo): never cached by shared caches, never sniffed. */
function sendImage(reply: FastifyReply, row: Media) {
  return reply.header('cache-control', 'private, max-age=3600').header('x-content-type-options', 'nosniff').type(row.contentType).send(row.bytes);
}

const photoQuery = z.object({ token: z.string().max(100).optional(), lang: z.string().max(16).optional() });

/** The wish as every page shows it: first name or pseudonym and age only; the photo only with consent. */
export function presentWish(request: Pick<FastifyRequest, 'locale' | 't'>, w: WishView) {
  const { locale, t } = request;
  return {
    id: w.id,
    url: `/wishes/${w.id}`,
    childName: w.childName,
    age: t('wish.age', { age: w.childAge }),
    item: pickText(locale, w.item, w.itemEn),
    amount: formatFen(w.amountFen),
    story: pickText(locale, w.story, w.storyEn),
    project: pickText(locale, w.projectZh, w.projectEn),
    projectUrl: `/projects/${w.projectSlug}`,
    photoUrl: w.photoConsent && w.photoMediaId ? `/wishes/${w.id}/photo` : null,
    status: w.status,
    statusLabel: t(`wish.status.${w.status}` as MessageKey),
    open: w.status === 'open',
    headline: t('wish.headline', { name: w.childName, item: pickText(locale, w.item, w.itemEn) }),
  };
}

/**
 * Micro-wishes: the public board and the claim (one donor per wish), and the social worker's
 * console (post a wish within their projects, confirm delivery with a photo).
 */
export default async function wishesRoutes(root: FastifyInstance, deps: WishesRoutesDeps) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { wishes } = deps;
  const coordinator = { preHandler: requireRole('coordinator') };

  // ---------- The public board ----------
  app.get('/wishes', { schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    return reply.view('channels/wish-board', {
      title: request.t('wish.board.title'),
      open: (await wishes.openWishes()).map((w) => presentWish(request, w)),
      fulfilled: (await wishes.fulfilledWishes()).map((w) => presentWish(request, w)),
    });
  });

  async function renderWish(
    request: FastifyRequest,
    reply: FastifyReply,
    id: number,
    opts: { values?: Record<string, string>; fields?: FieldMessages; status?: number; error?: string | null } = {},
  ) {
    const wish = await wishes.publicWish(id);
    const fields = opts.fields ?? {};
    return reply.code(opts.status ?? 200).view('channels/wish', {
      title: request.t('wish.headline', { name: wish.childName, item: pickText(request.locale, wish.item, wish.itemEn) }),
      wish: presentWish(request, wish),
      delivered: wish.status === 'delivered',
      deliveryPhotoUrl: wish.status === 'delivered' && wish.photoConsent && wish.deliveryPhotoMediaId ? `/wishes/${wish.id}/delivery-photo` : null,
      values: opts.values ?? { paymentMethod: 'offline' },
      fields,
      hasErrors: Object.keys(fields).length > 0,
      error: opts.error ?? null,
      stripeEnabled: deps.startWishCheckout !== null,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/wishes/:id', { schema: { params: wishIdParams, querystring: plainQuerySchema } }, async (request, reply) =>
    renderWish(request, reply, request.params.id),
  );

  app.post('/wishes/:id/claim', { schema: { params: wishIdParams }, config: { rateLimit: { max: 30, timeWindow: '1 minute' } } }, async (request, reply) => {
    const { id } = request.params;
    await wishes.publicWish(id); // 404 before anything else
    const values = typedValues(request.body);
    const form = parseForm(claimSchema, request.body, request.t);
    if (!form.ok) return renderWish(request, reply, id, { values, fields: form.fields, status: 422 });
    if (form.data.paymentMethod === 'stripe' && !deps.startWishCheckout) {
      return renderWish(request, reply, id, { values, fields: { paymentMethod: request.t('validation.payment_method') }, status: 422 });
    }
    let claimed;
    try {
      // A visitor without a session gets one: their unpaid claims are counted per browser.
      await reply.ensureSession();
      claimed = await wishes.claim(
        id,
        { ...form.data, locale: request.locale },
        cartOwnerOf(request)!,
        request.user?.role === 'buyer' ? request.user.id : null,
        request.ip,
      );
    } catch (error) {
      // Another donor was first: nothing of this claim was written.
      if (error instanceof AppError && error.type === 'conflict')
        return renderWish(request, reply, id, { values, status: 409, error: errorMessage(request, error) });
      throw error;
    }
    const { placed, wish } = claimed;
    const orderUrl = `/orders/${placed.order.number}?token=${encodeURIComponent(placed.accessToken)}`;
    if (form.data.paymentMethod === 'stripe' && deps.startWishCheckout) {
      let url: string;
      try {
        url = await deps.startWishCheckout(placed.order, placed.accessToken, { item: wish.item, childName: wish.childName });
      } catch (error) {
        request.log.error({ err: error, order: placed.order.number }, 'stripe checkout session for a wish failed; cancelling the claim');
        await wishes.abandonClaim(placed.order); // the order is cancelled and the wish opens again
        return renderWish(request, reply, id, { values, status: 503, error: request.t('checkout.stripeFailed') });
      }
      return reply.redirect(url, 303);
    }
    reply.flash('success', request.t('wish.claimed', { name: wish.childName, number: placed.order.number }));
    return reply.redirect(orderUrl, 303);
  });

  app.get('/wishes/:id/photo', { schema: { params: wishIdParams } }, async (request, reply) => sendImage(reply, await wishes.photo(request.params.id)));

  app.get('/wishes/:id/delivery-photo', { schema: { params: wishIdParams, querystring: photoQuery } }, async (request, reply) =>
    sendImage(reply, await wishes.deliveryPhoto(request.params.id, { token: request.query.token, user: request.user })),
  );

  // ---------- The social worker's console ----------
  async function projectOptions(request: FastifyRequest, selected: string | undefined) {
    const user = currentUser(request);
    return (await deps.catalog.projects())
      .filter((p) => user.allProjects || user.projectIds.includes(p.id))
      .map((p) => ({ id: p.id, name: pickText(request.locale, p.nameZh, p.nameEn), selected: String(p.id) === selected }));
  }

  app.get('/coordinator/wishes', { ...coordinator, schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    return reply.view('channels/coordinator-wishes', {
      title: request.t('wish.console.title'),
      section: 'wishes',
      wishes: (await wishes.wishesFor(currentUser(request))).map((w) => ({
        ...presentWish(request, w),
        consoleUrl: `/coordinator/wishes/${w.id}`,
        orderNumber: w.orderNumber,
        posted: formatDateTime(w.createdAt),
      })),
    });
  });

  async function renderWishForm(
    request: FastifyRequest,
    reply: FastifyReply,
    opts: { values: Record<string, string>; fields: FieldMessages; status?: number },
  ) {
    return reply.code(opts.status ?? 200).view('channels/coordinator-wish-form', {
      title: request.t('wish.console.new'),
      section: 'wishes',
      values: opts.values,
      fields: opts.fields,
      hasErrors: Object.keys(opts.fields).length > 0,
      projects: await projectOptions(request, opts.values.projectId),
      maxUploadMb: Math.floor(deps.maxUploadBytes / (1024 * 1024)),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/coordinator/wishes/new', { ...coordinator, schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    const first = (await projectOptions(request, undefined))[0];
    return renderWishForm(request, reply, { values: { projectId: first ? String(first.id) : '' }, fields: {} });
  });

  // Multipart: the CSRF token is the form's first field, checked before the route runs (readCsrfField).
  const wishFormLimits = { fileSize: deps.maxUploadBytes, fields: 12 };
  const deliveryFormLimits = { fileSize: deps.maxUploadBytes, fields: 4 };
  app.post('/coordinator/wishes', { ...coordinator, config: { csrf: 'multipart', multipartLimits: wishFormLimits } }, async (request, reply) => {
    const upload = await readMultipartForm(request, wishFormLimits);
    const values = typedValues(upload.fields);
    if (upload.fileTooLarge) return renderWishForm(request, reply, { values, fields: { photo: request.t('errors.image_too_large') }, status: 413 });
    const form = parseForm(wishFormSchema, upload.fields, request.t);
    if (!form.ok) return renderWishForm(request, reply, { values, fields: form.fields, status: 422 });
    let id: number;
    try {
      id = await wishes.post(currentUser(request), form.data, upload.file?.bytes ?? null, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.details.fields)
        return renderWishForm(request, reply, { values, fields: fieldMessagesOf(request, error), status: error.status });
      throw error;
    }
    reply.flash('success', request.t('wish.console.posted'));
    return reply.redirect(`/coordinator/wishes/${id}`, 303);
  });

  async function renderConsoleWish(
    request: FastifyRequest,
    reply: FastifyReply,
    id: number,
    opts: { values?: Record<string, string>; fields?: FieldMessages; status?: number } = {},
  ) {
    const wish = await wishes.wishFor(currentUser(request), id);
    const fields = opts.fields ?? {};
    return reply.code(opts.status ?? 200).view('channels/coordinator-wish', {
      title: request.t('wish.headline', { name: wish.childName, item: pickText(request.locale, wish.item, wish.itemEn) }),
      section: 'wishes',
      wish: {
        ...presentWish(request, wish),
        amountInput: fenToYuanInput(wish.amountFen),
        photoConsent: wish.photoConsent,
        hasPhoto: wish.photoMediaId !== null,
        orderNumber: wish.orderNumber,
        orderStatus: wish.orderStatus,
        canDeliver: wish.status === 'paid',
        delivered: wish.status === 'delivered',
        deliveredAt: wish.deliveredAt ? formatDateTime(wish.deliveredAt) : null,
        deliveryNote: wish.deliveryNote,
        deliveryPhotoUrl: wish.deliveryPhotoMediaId ? `/wishes/${wish.id}/delivery-photo` : null,
        posted: formatDateTime(wish.createdAt),
      },
      values: opts.values ?? {},
      fields,
      hasErrors: Object.keys(fields).length > 0,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/coordinator/wishes/:id', { ...coordinator, schema: { params: wishIdParams, querystring: plainQuerySchema } }, async (request, reply) =>
    renderConsoleWish(request, reply, request.params.id),
  );

  app.post(
    '/coordinator/wishes/:id/deliver',
    { ...coordinator, config: { csrf: 'multipart', multipartLimits: deliveryFormLimits }, schema: { params: wishIdParams } },
    async (request, reply) => {
      const { id } = request.params;
      await wishes.wishFor(currentUser(request), id); // 404 for wishes outside the coordinator's projects
      const upload = await readMultipartForm(request, deliveryFormLimits);
      const values = typedValues(upload.fields);
      if (upload.fileTooLarge) return renderConsoleWish(request, reply, id, { values, fields: { photo: request.t('errors.image_too_large') }, status: 413 });
      const form = parseForm(deliverySchema, upload.fields, request.t);
      if (!form.ok) return renderConsoleWish(request, reply, id, { values, fields: form.fields, status: 422 });
      if (!upload.file) return renderConsoleWish(request, reply, id, { values, fields: { photo: request.t('wish.validation.deliveryPhoto') }, status: 422 });
      try {
        await wishes.deliver(currentUser(request), id, upload.file.bytes, form.data.note, request.ip);
      } catch (error) {
        if (error instanceof AppError && error.details.fields)
          return renderConsoleWish(request, reply, id, { values, fields: fieldMessagesOf(request, error), status: error.status });
        if (error instanceof AppError && error.type === 'conflict')
          return renderConsoleWish(request, reply, id, { values, fields: { photo: errorMessage(request, error) }, status: 409 });
        throw error;
      }
      reply.flash('success', request.t('wish.console.delivered'));
      return reply.redirect(`/coordinator/wishes/${id}`, 303);
    },
  );
}
