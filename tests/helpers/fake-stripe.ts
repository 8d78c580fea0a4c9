import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

/**
 * A tiny Stripe on 127.0.0.1 for tests: just the endpoints the app calls, answered the way the
 * real API would (form-encoded requests with bracket keys in, JSON out), plus signed webhook
 * payloads made with the SDK's own test signer. The app talks to it through the real `stripe` SDK.
 *
 *   const fake = await startFakeStripe();
 *   const ctx = await createTestApp({ env: fake.env, stripe: fake.client });
 *   ...
 *   const { payload, signature } = fake.event('checkout.session.completed', fake.session(sessionId));
 */

export const FAKE_WEBHOOK_SECRET = 'whsec_test_fake_stripe_secret';

/** One request the fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** The form body (or query) decoded into nested objects and arrays, as Stripe reads it. */
  params: Record<string, unknown>;
  idempotencyKey: string | undefined;
}

export interface FakeCheckoutSession {
  id: string;
  url: string;
  paymentIntentId: string;
  chargeId: string;
  amountFen: number;
  params: Record<string, unknown>;
}

export interface FakeRefund {
  id: string;
  object: 'refund';
  amount: number;
  charge: string;
  payment_intent: string;
  currency: 'cny';
  status: string;
  metadata: Record<string, string>;
  created: number;
}

export interface FakeStripe {
  /** STRIPE_* variables for the app's config. */
  env: Record<string, string>;
  /** The SDK pointed at this fake, no retries. */
  client: Stripe;
  port: number;
  requests: RecordedRequest[];
  sessions: Map<string, FakeCheckoutSession>;
  refunds: FakeRefund[];
  /** When set, every API call answers this HTTP status with a Stripe error body. */
  failWith: number | null;
  /** Status of refunds the fake creates. */
  refundStatus: 'succeeded' | 'pending';
  /** The processor fee for an amount, fen. */
  feeFor: (amountFen: number) => number;
  /**
   * When set, balance transactions are in this currency, as when the charity's Stripe account
   * settles in HKD or USD: amount = the charge × exchangeRate (in that currency's minor units),
   * fee = `fee` minor units (default feeFor of that amount), exchange_rate as given (null: none).
   */
  settlement: { currency: string; exchangeRate: number | null; fee?: number } | null;
  /** The session the app created for an order (by client_reference_id). */
  sessionOfOrder(orderId: number): FakeCheckoutSession | undefined;
  /** A Checkout Session as a webhook carries it; paid and complete unless overridden. */
  session(id: string, overrides?: Record<string, unknown>): Record<string, unknown>;
  /** A charge as a webhook carries it, with its refunds embedded. */
  charge(chargeId: string, overrides?: Record<string, unknown>): Record<string, unknown>;
  /** A refund made outside the app (Stripe's dashboard) against a charge. */
  dashboardRefund(chargeId: string, amountFen: number, status?: string): FakeRefund;
  /** A signed event: the exact body to POST and its Stripe-Signature header. */
  event(type: string, object: Record<string, unknown>, options?: { id?: string; secret?: string }): { id: string; payload: string; signature: string };
  close(): Promise<void>;
}

/** Decodes Stripe's form encoding (`a[b][0][c]=v`) into nested objects; all-numeric keys become arrays. */
export function decodeStripeForm(text: string): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const path = key.replace(/\]/g, '').split('[');
    let node: Record<string, unknown> = root;
    path.forEach((part, i) => {
      if (i === path.length - 1) node[part] = value;
      else {
        node[part] ??= {};
        node = node[part] as Record<string, unknown>;
      }
    });
  }
  const arrays = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, arrays(x)] as const);
    if (entries.length > 0 && entries.every(([k]) => /^[0-9]+$/.test(k))) {
      return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, x]) => x);
    }
    return Object.fromEntries(entries);
  };
  return arrays(root) as Record<string, unknown>;
}

export async function startFakeStripe(): Promise<FakeStripe> {
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}_test_${(++counter).toString().padStart(6, '0')}${Math.random().toString(36).slice(2, 8)}`;
  const byIdempotencyKey = new Map<string, unknown>();
  const sessions = new Map<string, FakeCheckoutSession>();
  const refunds: FakeRefund[] = [];
  const requests: RecordedRequest[] = [];

  function send(res: ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': nextId('req') });
    res.end(JSON.stringify(body));
  }

  function notFound(res: ServerResponse, what: string) {
    send(res, 404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}` } });
  }

  function sessionByIntent(intentId: string) {
    return [...sessions.values()].find((s) => s.paymentIntentId === intentId);
  }

  function chargeOfIntent(session: FakeCheckoutSession) {
    const settled = fake.settlement;
    // Two-decimal currencies only, like HKD and USD: minor units convert at the same rate as major ones.
    const amount = settled ? Math.round(session.amountFen * (settled.exchangeRate ?? 1)) : session.amountFen;
    const fee = settled?.fee ?? fake.feeFor(amount);
    return {
      id: session.chargeId,
      object: 'charge',
      amount: session.amountFen,
      currency: 'cny',
      payment_intent: session.paymentIntentId,
      status: 'succeeded',
      balance_transaction: {
        id: `txn_${session.chargeId}`,
        object: 'balance_transaction',
        amount,
        fee,
        net: amount - fee,
        currency: settled?.currency ?? 'cny',
        exchange_rate: settled ? settled.exchangeRate : null,
        fee_details: [{ amount: fee, currency: settled?.currency ?? 'cny', type: 'stripe_fee', description: 'Stripe processing fees', application: null }],
      },
    };
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: string) {
    const url = new URL(req.url ?? '/', 'http://fake-stripe');
    const params = decodeStripeForm(req.method === 'GET' ? url.search.slice(1) : body);
    const key = req.headers['idempotency-key'];
    const idempotencyKey = typeof key === 'string' ? key : undefined;
    requests.push({ method: req.method ?? '', path: url.pathname, params, idempotencyKey });
    if (fake.failWith !== null) {
      return send(res, fake.failWith, { error: { type: 'api_error', message: 'The fake Stripe is down.' } });
    }
    if (idempotencyKey && req.method === 'POST' && byIdempotencyKey.has(idempotencyKey)) return send(res, 200, byIdempotencyKey.get(idempotencyKey));
    const remember = (answer: unknown) => {
      if (idempotencyKey) byIdempotencyKey.set(idempotencyKey, answer);
      return send(res, 200, answer);
    };

    if (req.method === 'POST' && url.pathname === '/v1/checkout/sessions') {
      const items = (params.line_items ?? []) as { price_data: { unit_amount: string }; quantity: string }[];
      const amountFen = items.reduce((a, item) => a + Number(item.price_data.unit_amount) * Number(item.quantity), 0);
      const id = nextId('cs');
      const session: FakeCheckoutSession = {
        id,
        url: `https://checkout.stripe.test/c/pay/${id}`,
        paymentIntentId: nextId('pi'),
        chargeId: nextId('ch'),
        amountFen,
        params,
      };
      sessions.set(id, session);
      return remember({ ...fake.session(id, { status: 'open', payment_status: 'unpaid', payment_intent: null }), url: session.url });
    }
    const expire = /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/.exec(url.pathname);
    if (req.method === 'POST' && expire) {
      if (!sessions.has(expire[1]!)) return notFound(res, 'checkout session');
      return remember(fake.session(expire[1]!, { status: 'expired', payment_status: 'unpaid' }));
    }
    const intent = /^\/v1\/payment_intents\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && intent) {
      const session = sessionByIntent(intent[1]!);
      if (!session) return notFound(res, 'payment_intent');
      return send(res, 200, {
        id: session.paymentIntentId,
        object: 'payment_intent',
        amount: session.amountFen,
        currency: 'cny',
        status: 'succeeded',
        metadata: (session.params.metadata ?? {}) as Record<string, string>,
        latest_charge: chargeOfIntent(session),
      });
    }
    if (req.method === 'POST' && url.pathname === '/v1/refunds') {
      const session = sessionByIntent(String(params.payment_intent));
      if (!session) return notFound(res, 'payment_intent');
      const refund: FakeRefund = {
        id: nextId('re'),
        object: 'refund',
        amount: Number(params.amount ?? session.amountFen),
        charge: session.chargeId,
        payment_intent: session.paymentIntentId,
        currency: 'cny',
        status: fake.refundStatus,
        metadata: (params.metadata ?? {}) as Record<string, string>,
        created: Math.floor(Date.now() / 1000),
      };
      refunds.push(refund);
      return remember(refund);
    }
    if (req.method === 'GET' && url.pathname === '/v1/refunds') {
      const data = refunds.filter((r) => !params.charge || r.charge === params.charge);
      return send(res, 200, { object: 'list', url: '/v1/refunds', has_more: false, data });
    }
    return notFound(res, `route ${req.method} ${url.pathname}`);
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const client = new Stripe('sk_test_fake', { host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0, timeout: 5_000 });

  const fake: FakeStripe = {
    env: { STRIPE_SECRET_KEY: 'sk_test_fake', STRIPE_WEBHOOK_SECRET: FAKE_WEBHOOK_SECRET },
    client,
    port,
    requests,
    sessions,
    refunds,
    failWith: null,
    refundStatus: 'succeeded',
    feeFor: (amountFen) => Math.round(amountFen * 0.034) + 180,
    settlement: null,

    sessionOfOrder(orderId) {
      return [...sessions.values()].find((s) => s.params.client_reference_id === String(orderId));
    },

    session(id, overrides = {}) {
      const s = sessions.get(id);
      if (!s) throw new Error(`the fake made no session ${id}`);
      return {
        id,
        object: 'checkout.session',
        mode: 'payment',
        currency: 'cny',
        status: 'complete',
        payment_status: 'paid',
        amount_total: s.amountFen,
        amount_subtotal: s.amountFen,
        client_reference_id: s.params.client_reference_id ?? null,
        metadata: s.params.metadata ?? {},
        payment_intent: s.paymentIntentId,
        url: null,
        livemode: false,
        ...overrides,
      };
    },

    charge(chargeId, overrides = {}) {
      const s = [...sessions.values()].find((x) => x.chargeId === chargeId);
      if (!s) throw new Error(`the fake made no charge ${chargeId}`);
      const own = refunds.filter((r) => r.charge === chargeId);
      return {
        id: chargeId,
        object: 'charge',
        amount: s.amountFen,
        amount_refunded: own.filter((r) => r.status === 'succeeded').reduce((a, r) => a + r.amount, 0),
        currency: 'cny',
        payment_intent: s.paymentIntentId,
        metadata: s.params.payment_intent_data ? ((s.params.payment_intent_data as { metadata?: unknown }).metadata ?? {}) : {},
        refunded: false,
        refunds: { object: 'list', url: `/v1/charges/${chargeId}/refunds`, has_more: false, data: own },
        ...overrides,
      };
    },

    dashboardRefund(chargeId, amountFen, status = 'succeeded') {
      const s = [...sessions.values()].find((x) => x.chargeId === chargeId);
      if (!s) throw new Error(`the fake made no charge ${chargeId}`);
      const refund: FakeRefund = {
        id: nextId('re'),
        object: 'refund',
        amount: amountFen,
        charge: chargeId,
        payment_intent: s.paymentIntentId,
        currency: 'cny',
        status,
        metadata: {},
        created: Math.floor(Date.now() / 1000),
      };
      refunds.push(refund);
      return refund;
    },

    event(type, object, options = {}) {
      const id = options.id ?? nextId('evt');
      const payload = JSON.stringify({
        id,
        object: 'event',
        api_version: Stripe.API_VERSION,
        created: Math.floor(Date.now() / 1000),
        type,
        livemode: false,
        pending_webhooks: 1,
        request: { id: null, idempotency_key: null },
        data: { object },
      });
      const signature = client.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? FAKE_WEBHOOK_SECRET });
      return { id, payload, signature };
    },

    close() {
      return new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
  return fake;
}
