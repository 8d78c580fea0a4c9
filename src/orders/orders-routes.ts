import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { messageOf } from '../form-errors.js';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { requireRole } from '../accounts/guards.js';
import { plainQuerySchema } from '../catalog/catalog-schemas.js';
import { AppError } from '../errors.js';
import { parseForm, typedValues, type FieldMessages } from '../forms.js';
import { errorText, pickText, type Locale, type MessageKey } from '../i18n/i18n.js';
import { formatFen } from '../money.js';
import type { PaymentsService } from '../payments/payments-service.js';
import { csrfTokenFor } from '../plugins/security.js';
import { formatDateTime } from '../time.js';
import { reviewedFigures, reviewedTotalFen, type CartOwner, type CartService, type PricedCart } from './cart-service.js';
import { canConfirmReceipt, canPay, canRequestAfterSale } from './order-status.js';
import { carrierName, trackingUrlOf } from './carriers.js';
import type { OrderRequest, OrderRequests } from './order-requests.js';
import { ORDER_REQUEST_KINDS, ORDER_REQUEST_REASONS } from './schema.js';
import { leftForFreeShipping } from './pricing.js';
import type { Order } from './orders-queries.js';
import { addToCartSchema, checkoutSchema, orderNumberParams, orderRequestSchema, productIdParams, setQuantitySchema, tokenQuery } from './orders-schemas.js';
import type { Checkout } from './checkout.js';
import { loadSections, type OrderPageSection, type PickupOutletChoice } from './order-page.js';
import { BUYER_ORDERS_PAGE_SIZE, type OrdersService } from './orders-service.js';
import type { AddressBook, BuyerAddress, Divisions } from '../addresses/index.js';

export interface OrdersRoutesDeps {
  cart: CartService;
  orders: OrdersService;
  payments: PaymentsService;
  /** The sections the order page shows besides the order itself (pickup, wish, lots, benefit), in this order. */
  sections: readonly OrderPageSection[];
  /** The charity supermarkets a buyer may pick the order up at, for the checkout and its review. */
  pickupOutlets: (locale: Locale) => Promise<PickupOutletChoice[]>;
  bank: { accountName: string; bankName: string; accountNumber: string };
  /** Starts a Stripe Checkout Session for a placed order and returns its URL; null when Stripe is off. */
  startStripeCheckout: ((order: Order, accessToken: string) => Promise<string>) | null;
  /** The benefit receipt's absolute address and inline-SVG QR code (src/orders/receipt-qr.ts). */
  receiptQr?: (receiptCode: string, label: string) => { url: string; svg: string };
  /** Whether the cart may be picked up at a charity supermarket (src/outlets/outlets-service.ts). */
  pickupEnabled: boolean;
  /** The checkout's steps with their undo (src/orders/checkout.ts). */
  checkout: Checkout;
  /** A signed-in buyer's saved addresses, offered and prefilled at checkout (src/addresses). */
  addressBook: AddressBook;
  /** China's administrative divisions: the checkout's suggestions, and the check before an address is saved. */
  divisions: Divisions;
  /** The buyer's refund and problem requests (src/orders/order-requests.ts). */
  requests: OrderRequests;
  /** How long after its last parcel left a shipped order is confirmed received without the buyer, ms. */
  receiptAutoConfirmMs: number;
}

/** What the buyer typed into the after-sale form, and what was wrong with it, when it is shown again. */
interface AfterSaleForm {
  values: Record<string, string>;
  fields: FieldMessages;
}

/** A saved address as the checkout form's fields. */
const checkoutValuesOf = (a: BuyerAddress): Record<string, string> => ({
  name: a.recipientName,
  phone: a.phone,
  province: a.province,
  city: a.city,
  district: a.district,
  address: a.street,
});

/** GET /account/orders?page= */
const accountOrdersQuery = plainQuerySchema.extend({ page: z.coerce.number().int().min(1).max(100_000).optional() });

/** GET /checkout?address=<id>: the saved address to prefill (else the default). */
const checkoutQuery = plainQuerySchema.extend({ address: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional().catch(undefined) });

/** The cart's owner for this request: the signed-in user, else the anonymous session (if any). */
export function cartOwnerOf(request: FastifyRequest): CartOwner | null {
  if (request.user) return { userId: request.user.id };
  if (request.session) return { sessionIdHash: request.session.idHash };
  return null;
}

/** Runs `work`; a refusal by the service (an AppError) is returned rather than thrown, anything else is thrown. */
async function refusal(work: Promise<unknown>): Promise<AppError | null> {
  try {
    await work;
    return null;
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
}

/** A shipping fee as the cart, the review and the order page all say it: 包邮 when it is nothing. */
export function shippingFeeText(t: FastifyRequest['t'], feeFen: number): string {
  return feeFen === 0 ? t('cart.free') : formatFen(feeFen);
}

/** A request as one line: what was asked, why, and the amount when one was named. */
export function requestText(t: FastifyRequest['t'], r: OrderRequest): string {
  const what = `${t(`request.kind.${r.kind}`)} · ${t(`request.reason.${r.reason}`)}`;
  return r.amountFen === null ? what : `${what} · ${formatFen(r.amountFen)}`;
}

/** A service error as a sentence in the user's language. */
export function errorMessage(request: FastifyRequest, error: AppError): string {
  return messageOf(request, error);
}

export default async function ordersRoutes(root: FastifyInstance, deps: OrdersRoutesDeps) {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const { cart, orders } = deps;

  function presentCart(request: FastifyRequest, priced: PricedCart) {
    const { locale, t } = request;
    return {
      lines: priced.lines.map((l) => ({
        productId: l.product.id,
        slug: l.product.slug,
        title: pickText(locale, l.product.titleZh, l.product.titleEn),
        village: pickText(locale, l.product.villageZh, l.product.villageEn),
        unit: t(`unit.${l.product.unit}` as MessageKey),
        unitPrice: formatFen(l.unitPriceFen),
        bulk: l.unitPriceFen < l.product.priceFen,
        quantity: l.quantity,
        lineTotal: formatFen(l.lineTotalFen),
        photoUrl: l.product.photoId ? `/media/${l.product.photoId}` : null,
        category: l.product.category,
        problem: l.problem ? errorText(t, l.problem.code, l.problem.params) : null,
        min: l.product.minOrderQty,
      })),
      parcels: priced.parcels.map((p) => {
        const village = pickText(locale, p.villageZh, p.villageEn);
        const left = leftForFreeShipping(p, p.subtotalFen);
        return {
          label: t('cart.shippingFrom', { village }),
          fee: shippingFeeText(t, p.shippingFeeFen),
          freeShippingHint: left !== null && left > 0 ? t('cart.freeShippingHint', { amount: formatFen(left), village }) : null,
        };
      }),
      subtotal: formatFen(priced.subtotalFen),
      shipping: formatFen(priced.shippingFen),
      total: formatFen(priced.totalFen),
      canCheckout: priced.canCheckout,
      empty: priced.lines.length === 0,
    };
  }

  function viewCart(request: FastifyRequest): Promise<PricedCart> {
    const owner = cartOwnerOf(request);
    return owner ? cart.view(owner) : cart.view({ sessionIdHash: '' });
  }

  async function renderCart(request: FastifyRequest, reply: FastifyReply, error: string | null, status = 200) {
    return reply.code(status).view('orders/cart', {
      title: request.t('cart.title'),
      cart: presentCart(request, await viewCart(request)),
      error,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/cart', { schema: { querystring: plainQuerySchema } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return renderCart(request, reply, null);
  });

  // The product page's form: a visitor without a session may post it with the catalogue's token.
  app.post('/cart/items', { config: { csrf: 'catalogue' } }, async (request, reply) => {
    const parsed = addToCartSchema.safeParse(request.body);
    if (!parsed.success) return renderCart(request, reply, request.t('validation.quantity'), 422);
    const { productId, quantity, buyNow } = parsed.data;
    // A visitor's first item starts their session in the same write: one commit for both.
    const startSession = reply.sessionStep();
    const refused = await refusal(cart.add(cartOwnerOf(request)!, productId, quantity, startSession, buyNow !== undefined));
    if (refused) {
      // The session stays even when the product can't be added: the cart page they see uses it.
      await reply.ensureSession();
      return renderCart(request, reply, errorMessage(request, refused), refused.status);
    }
    reply.sessionStored();
    if (buyNow) return reply.redirect('/checkout', 303);
    const product = (await cart.view(cartOwnerOf(request)!)).lines.find((l) => l.product.id === productId)?.product;
    reply.flash('success', request.t('cart.added', { title: product ? pickText(request.locale, product.titleZh, product.titleEn) : '', quantity }));
    return reply.redirect('/cart', 303);
  });

  app.post('/cart/items/:productId', { schema: { params: productIdParams } }, async (request, reply) => {
    const parsed = setQuantitySchema.safeParse(request.body);
    if (!parsed.success) return renderCart(request, reply, request.t('validation.quantity'), 422);
    const owner = cartOwnerOf(request);
    if (!owner) return reply.redirect('/cart', 303);
    const refused = await refusal(cart.set(owner, request.params.productId, parsed.data.quantity));
    if (refused) return renderCart(request, reply, errorMessage(request, refused), refused.status);
    reply.flash('success', request.t(parsed.data.quantity === 0 ? 'cart.removed' : 'cart.updated'));
    return reply.redirect('/cart', 303);
  });

  // ---------- Checkout ----------
  async function renderCheckout(
    request: FastifyRequest,
    reply: FastifyReply,
    opts: { values: Record<string, string>; fields: FieldMessages; status?: number; review?: boolean; error?: string | null },
  ) {
    const priced = await viewCart(request);
    if (opts.review) reply.header('cache-control', 'no-store');
    const buyer = request.user?.role === 'buyer' ? request.user : null;
    const saved = buyer && !opts.review ? await deps.addressBook.list(buyer.id) : [];
    const { divisions } = deps;
    const province = opts.values.province?.trim() ?? '';
    const city = opts.values.city?.trim() ?? '';
    return reply.code(opts.status ?? 200).view(opts.review ? 'orders/review' : 'orders/checkout', {
      // A signed-in buyer picks one of their addresses (a link that prefills the form) or saves the one typed.
      savedAddresses: saved.map((a) => ({
        ...a,
        isDefault: a.isDefault === 1,
        inUse: Object.entries(checkoutValuesOf(a)).every(([k, v]) => (opts.values[k] ?? '').trim() === v),
      })),
      canSaveAddress: buyer !== null,
      saveAddress: opts.values.saveAddress === 'on',
      // Suggestions from the official divisions, narrowed to the province and city typed (free text stays possible).
      suggest: opts.review
        ? null
        : {
            provinces: divisions.provinces().map((d) => d.name),
            cities: divisions.cities(province).map((d) => d.name),
            districts: divisions.districts(province, city).map((d) => d.name),
          },
      // The review's own figures go back with "place order": the order is placed at them or not at all.
      reviewed: opts.review ? reviewedFigures(priced, opts.values.delivery === 'pickup') : null,
      title: request.t(opts.review ? 'checkout.reviewTitle' : 'checkout.title'),
      cart: presentCart(request, priced),
      values: opts.values,
      fields: opts.fields,
      hasErrors: Object.keys(opts.fields).length > 0,
      error: opts.error ?? null,
      stripeEnabled: deps.startStripeCheckout !== null,
      pickupOutlets: await deps.pickupOutlets(request.locale),
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/checkout', { schema: { querystring: checkoutQuery } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const priced = await viewCart(request);
    if (priced.lines.length === 0) return reply.redirect('/cart', 303);
    let prefill: Record<string, string> = {};
    if (request.user?.role === 'buyer') {
      const { address } = request.query;
      // Only the buyer's own address prefills the form; another id is ignored like no id.
      const chosen =
        address === undefined
          ? await deps.addressBook.defaultOf(request.user.id)
          : await deps.addressBook.get(request.user.id, address).catch((error: unknown) => {
              if (error instanceof AppError && error.type === 'not_found') return undefined;
              throw error;
            });
      if (chosen) prefill = checkoutValuesOf(chosen);
    }
    return renderCheckout(request, reply, { values: { ...prefill, paymentMethod: 'offline' }, fields: {} });
  });

  app.post('/checkout', async (request, reply) => {
    const values = typedValues(request.body);
    const owner = cartOwnerOf(request);
    const priced = await viewCart(request);
    if (!owner || priced.lines.length === 0) return renderCart(request, reply, request.t('errors.cart_empty'), 409);
    if (!priced.canCheckout) return renderCart(request, reply, request.t('cart.fixLines'), 409);
    const form = parseForm(checkoutSchema, request.body, request.t);
    if (!form.ok) return renderCheckout(request, reply, { values, fields: form.fields, status: 422 });
    if (form.data.paymentMethod === 'stripe' && !deps.startStripeCheckout) {
      return renderCheckout(request, reply, { values, fields: { paymentMethod: request.t('validation.payment_method') }, status: 422 });
    }
    if (form.data.delivery === 'pickup' && !deps.pickupEnabled)
      return renderCheckout(request, reply, { values, fields: { delivery: request.t('validation.invalid') }, status: 422 });
    // An address to keep must name real places: checked before the order is placed, so the form can say which.
    const saveAddress = values.saveAddress === 'on' && request.user?.role === 'buyer' && form.data.delivery !== 'pickup';
    if (saveAddress) {
      const problem = deps.divisions.problem(form.data.province, form.data.city, form.data.district);
      if (problem) return renderCheckout(request, reply, { values, fields: { [problem.field]: request.t('validation.division_save') }, status: 422 });
    }
    if (form.data.step === 'review') return renderCheckout(request, reply, { values, fields: {}, review: true });
    if (form.data.step === 'edit') return renderCheckout(request, reply, { values, fields: {} });

    let outcome;
    try {
      outcome = await deps.checkout.run({
        owner,
        buyerUserId: request.user?.id ?? null,
        // Guests' messages about the order (text messages) are in the language they ordered in.
        contact: { ...form.data, locale: request.locale },
        outletId: form.data.delivery === 'pickup' ? (form.data.outletId ?? 0) : null,
        address: request.ip,
        reviewed: form.data.reviewed,
      });
    } catch (error) {
      // The prices moved since the review: the review again, with the new figures to confirm.
      if (error instanceof AppError && error.code === 'prices_changed') {
        const before = reviewedTotalFen(form.data.reviewed ?? '');
        const now = await viewCart(request);
        const after = form.data.delivery === 'pickup' ? now.subtotalFen : now.totalFen;
        const message = request.t('errors.prices_changed', { before: before === null ? '—' : formatFen(before), after: formatFen(after) });
        return renderCheckout(request, reply, { values, fields: {}, review: true, status: error.status, error: message });
      }
      // Sold out between the cart and now: nothing was written and the cart is intact.
      if (error instanceof AppError) return renderCart(request, reply, errorMessage(request, error), error.status);
      throw error;
    }
    if (outcome.kind === 'payment_setup_failed') {
      // The order was cancelled and its stock released; the cart was never emptied.
      request.log.error({ err: outcome.cause, order: outcome.order.number }, 'stripe checkout session failed; cancelling the order');
      return renderCheckout(request, reply, { values, fields: {}, status: 503, error: request.t('checkout.stripeFailed') });
    }
    if (saveAddress && request.user) {
      const { name, phone, province, city, district, address } = form.data;
      // The order stands whatever happens here; a failure to keep the address is only logged.
      await deps.addressBook
        .saveFromCheckout(request.user.id, { recipientName: name, phone, province, city, district, street: address })
        .catch((error: unknown) => request.log.warn({ err: error }, 'the address typed at checkout was not saved'));
    }
    if (outcome.kind === 'pay_online') return reply.redirect(outcome.paymentUrl, 303);
    const { placed } = outcome;
    reply.flash('success', request.t('order.placed', { number: placed.order.number }));
    return reply.redirect(`/orders/${placed.order.number}?token=${encodeURIComponent(placed.accessToken)}`, 303);
  });

  // ---------- Order pages ----------
  async function renderOrder(
    request: FastifyRequest,
    reply: FastifyReply,
    order: Order,
    token: string | undefined,
    status = 200,
    error: string | null = null,
    afterSaleForm: AfterSaleForm | null = null,
  ) {
    const { locale, t } = request;
    const details = await orders.details(order);
    const requests = await deps.requests.ofOrder(order);
    const waiting = requests.some((r) => r.status === 'open');
    const lastShippedAt = Math.max(0, ...details.shipments.map((s) => s.shippedAt ?? 0));
    const left = order.totalFen - order.refundedFen;
    const paid = order.paidAt !== null;
    const sections = await loadSections(deps.sections, { order, details }, { locale, t, token });
    reply.header('cache-control', 'no-store');
    reply.header('referrer-policy', 'no-referrer');
    return reply.code(status).view('orders/order', {
      ...sections,
      title: t('order.title', { number: order.number }),
      order: {
        number: order.number,
        status: order.status,
        pending: canPay(order.status),
        offline: order.paymentMethod === 'offline',
        placedAt: formatDateTime(order.createdAt),
        expiresAt: formatDateTime(order.expiresAt),
        subtotal: formatFen(order.subtotalFen),
        // Said as the cart said it: a parcel per village, 包邮 when its fee is nothing.
        shippingRows:
          details.shipments.length > 0
            ? details.shipments.map((s) => ({
                label: t('cart.shippingFrom', { village: pickText(locale, s.villageZh, s.villageEn) }),
                fee: shippingFeeText(t, s.shippingFeeFen),
              }))
            : [{ label: t('cart.shipping'), fee: shippingFeeText(t, order.shippingFen) }],
        total: formatFen(order.totalFen),
        refunded: order.refundedFen > 0 ? formatFen(order.refundedFen) : null,
        contactName: order.contactName,
        address: `${order.province} ${order.city} ${order.district} ${order.address}`,
      },
      token: token ?? '',
      lines: details.lines.map((l) => ({
        title: pickText(locale, l.titleZh, l.titleEn),
        unit: t(`unit.${l.unit}` as MessageKey),
        quantity: l.quantity,
        unitPrice: formatFen(l.unitPriceFen),
        lineTotal: formatFen(l.lineTotalFen),
      })),
      shipments: details.shipments.map((s) => {
        const carrier = carrierName(s.carrier, locale);
        // A known carrier's waybill links to its tracking page; another carrier's is plain text.
        const trackUrl = trackingUrlOf(s.carrier, s.trackingNumber);
        return {
          from: t('order.shipmentFrom', { village: pickText(locale, s.villageZh, s.villageEn) }),
          status:
            s.status === 'pending'
              ? t('order.shipment.pending')
              : t(s.status === 'shipped' ? 'order.shipment.shippedVia' : 'order.shipment.deliveredVia', { carrier }),
          tracking: s.status === 'pending' ? null : s.trackingNumber,
          trackUrl,
          trackLabel: trackUrl ? t('order.shipment.trackLabel', { tracking: s.trackingNumber ?? '', carrier }) : null,
        };
      }),
      confirmReceipt:
        canConfirmReceipt(order.status) && details.shippedToBuyer
          ? { autoAt: lastShippedAt > 0 ? t('order.confirmReceipt.autoAt', { at: formatDateTime(lastShippedAt + deps.receiptAutoConfirmMs) }) : null }
          : null,
      afterSale: {
        requests: requests.map((r) => ({
          status: r.status,
          text: t('after.item', { when: formatDateTime(r.createdAt), what: requestText(t, r) }),
          statusText: t(`request.status.${r.status}`),
          note: r.note,
          reply: r.reply ? t('after.replyFrom', { reply: r.reply }) : null,
        })),
        waiting,
        canAsk: !waiting && canRequestAfterSale(order.status) && order.paidAt !== null,
        kinds: ORDER_REQUEST_KINDS.map((k) => ({ value: k, label: t(`request.kind.${k}`), selected: (afterSaleForm?.values.kind ?? 'refund') === k })),
        reasons: ORDER_REQUEST_REASONS.map((k) => ({ value: k, label: t(`request.reason.${k}`), selected: afterSaleForm?.values.reason === k })),
        amountHint: t('after.amountHint', { max: formatFen(left) }),
        values: afterSaleForm?.values ?? {},
        fields: afterSaleForm?.fields ?? {},
      },
      receipt: deps.receiptQr ? deps.receiptQr(order.receiptCode, t('receipt.qrLabel')) : null,
      bank: deps.bank,
      payIntro: t('order.payIntro', { amount: formatFen(order.totalFen), number: order.number }),
      confirming: request.query && (request.query as Record<string, unknown>).paid === '1' && !paid,
      error,
      csrfToken: csrfTokenFor(reply),
    });
  }

  app.get('/orders/:number', { schema: { params: orderNumberParams, querystring: tokenQuery } }, async (request, reply) => {
    const { number } = request.params;
    const { token } = request.query;
    const order = await (request.user && !token ? orders.orderOfBuyer(number, request.user.id) : orders.orderWithToken(number, token));
    return renderOrder(request, reply, order, token);
  });

  app.post('/orders/:number/cancel', { schema: { params: orderNumberParams } }, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const token = typeof body.token === 'string' && body.token ? body.token : undefined;
    const { number } = request.params;
    const order = await (request.user && !token ? orders.orderOfBuyer(number, request.user.id) : orders.orderWithToken(number, token));
    try {
      await orders.cancel(order, request.user?.id ?? null, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.type === 'conflict') {
        return renderOrder(request, reply, await orders.order(number), token, 409, errorMessage(request, error));
      }
      throw error;
    }
    reply.flash('success', request.t('order.cancelled'));
    return reply.redirect(`/orders/${number}${token ? `?token=${encodeURIComponent(token)}` : ''}`, 303);
  });

  /** The order a buyer acts on: by its private link's token (a guest, or anyone holding the link), else the signed-in buyer's own. */
  async function buyersOrder(request: FastifyRequest, number: string) {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const token = typeof body.token === 'string' && body.token ? body.token : undefined;
    const order = await (request.user && !token ? orders.orderOfBuyer(number, request.user.id) : orders.orderWithToken(number, token));
    return { order, token, back: `/orders/${number}${token ? `?token=${encodeURIComponent(token)}` : ''}` };
  }

  // 确认收货: the buyer confirms a shipped order arrived; a second press changes nothing and says so.
  app.post('/orders/:number/confirm-receipt', { schema: { params: orderNumberParams } }, async (request, reply) => {
    const { order, token, back } = await buyersOrder(request, request.params.number);
    let outcome: 'confirmed' | 'already';
    try {
      outcome = await orders.confirmReceipt(order, request.user?.id ?? null, request.ip);
    } catch (error) {
      if (error instanceof AppError && error.type === 'conflict') {
        return renderOrder(request, reply, await orders.orderById(order.id), token, 409, errorMessage(request, error));
      }
      throw error;
    }
    reply.flash('success', request.t(outcome === 'confirmed' ? 'order.confirmReceipt.done' : 'order.confirmReceipt.already'));
    return reply.redirect(back, 303);
  });

  // The buyer asks for a refund or reports a problem: one open request per order, answered by a coordinator.
  app.post('/orders/:number/requests', { schema: { params: orderNumberParams } }, async (request, reply) => {
    const { order, token, back } = await buyersOrder(request, request.params.number);
    const values = typedValues(request.body, ['_csrf', 'token']);
    const form = parseForm(orderRequestSchema, request.body, request.t);
    if (!form.ok) return renderOrder(request, reply, order, token, 422, null, { values, fields: form.fields });
    try {
      await deps.requests.open(
        order,
        { kind: form.data.kind, reason: form.data.reason, note: form.data.note, amountFen: form.data.amount },
        request.user?.id ?? null,
        request.ip,
      );
    } catch (error) {
      if (error instanceof AppError && error.details.fields) {
        const fields = Object.fromEntries(Object.keys(error.details.fields).map((f) => [f, errorMessage(request, error)]));
        return renderOrder(request, reply, order, token, error.status, null, { values, fields });
      }
      if (error instanceof AppError && error.type === 'conflict') {
        return renderOrder(request, reply, await orders.orderById(order.id), token, 409, errorMessage(request, error), { values, fields: {} });
      }
      throw error;
    }
    reply.flash('success', request.t('after.sent'));
    return reply.redirect(`${back}#after-heading`, 303);
  });

  app.get('/account/orders', { preHandler: requireRole(), schema: { querystring: accountOrdersQuery } }, async (request, reply) => {
    const { t } = request;
    const page = request.query.page ?? 1;
    const { rows, total } = await orders.ordersOfBuyer(request.user!.id, page);
    const pages = Math.max(1, Math.ceil(total / BUYER_ORDERS_PAGE_SIZE));
    if (page > pages) throw new AppError('not_found', 'not_found');
    reply.header('cache-control', 'no-store');
    return reply.view('orders/account-orders', {
      title: t('order.mine'),
      isBuyer: request.user!.role === 'buyer',
      orders: rows.map((o) => ({
        number: o.number,
        url: `/orders/${o.number}`,
        status: o.status,
        placedAt: formatDateTime(o.createdAt),
        total: formatFen(o.totalFen),
        shipTo: o.province ? `${o.province} ${o.city} ${o.district}` : null,
      })),
      pager:
        pages > 1
          ? {
              text: t('order.pageOf', { page, pages, count: total }),
              prev: page > 1 ? `/account/orders${page - 1 > 1 ? `?page=${page - 1}` : ''}` : null,
              next: page < pages ? `/account/orders?page=${page + 1}` : null,
            }
          : null,
    });
  });

  // Stripe returns the buyer here; the order becomes paid only when the verified webhook arrives.
  app.get(
    '/checkout/success',
    {
      schema: {
        querystring: z.object({ order: z.string().regex(/^XY-[0-9]{8}-[0-9]{4,6}$/), token: z.string().max(100), lang: z.string().max(16).optional() }),
      },
    },
    async (request, reply) => {
      const order = await orders.orderWithToken(request.query.order, request.query.token);
      return reply.redirect(`/orders/${order.number}?token=${encodeURIComponent(request.query.token)}&paid=1`, 303);
    },
  );

  app.get(
    '/checkout/cancel',
    {
      schema: {
        querystring: z.object({ order: z.string().regex(/^XY-[0-9]{8}-[0-9]{4,6}$/), token: z.string().max(100), lang: z.string().max(16).optional() }),
      },
    },
    async (request, reply) => {
      const order = await orders.orderWithToken(request.query.order, request.query.token);
      return reply.redirect(`/orders/${order.number}?token=${encodeURIComponent(request.query.token)}`, 303);
    },
  );
}
