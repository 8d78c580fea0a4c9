import { checkoutSteps, createCheckout } from './orders/checkout.js';
import fastifyCompress from '@fastify/compress';
import pino from 'pino';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyMultipart from '@fastify/multipart';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createBackupSchedule, type BackupSchedule, type BackupTimers, type RunBackup } from './backups/backup-schedule.js';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import accountsRoutes, { type SignInHook } from './accounts/accounts-routes.js';
import { addressRoutes, chinaDivisions, createAddressBook } from './addresses/index.js';
import { createPasswordResets } from './accounts/password-reset.js';
import passwordResetRoutes from './accounts/password-reset-routes.js';
import { createTwoFactor } from './accounts/two-factor.js';
import twoFactorRoutes, { twoFactorGate } from './accounts/two-factor-routes.js';
import adminRoutes from './admin/admin-routes.js';
import type { AccountMail } from './accounts/account-mail.js';
import { bothAccountMail, outboxAccountMail } from './notifications/account-notices.js';
import { createMailPreferences } from './notifications/mail-preferences.js';
import { smtpTransport } from './notifications/mail-transport.js';
import { createOrderNotices } from './notifications/order-notices.js';
import { createCoordinatorDigest } from './notifications/coordinator-digest.js';
import { createRecallNotices, createWishNotices } from './notifications/recall-notices.js';
import { createPickupNotices } from './notifications/pickup-notices.js';
import { httpSmsProvider } from './notifications/sms-provider.js';
import { createOutbox } from './notifications/outbox.js';
import { createOutboxWorker, type OutboxWorker } from './notifications/outbox-worker.js';
import notificationsRoutes from './notifications/notifications-routes.js';
import { createAccountsService } from './accounts/accounts-service.js';
import { createSignInThrottle } from './accounts/sign-in-throttle.js';
import { createSessionService } from './accounts/session-service.js';
import { createAuditService, type AuditVisibility } from './audit/audit-service.js';
import type { CurrentUser } from './accounts/session-service.js';
import { createProductManagement } from './catalog/product-management.js';
import { createOrderReports } from './orders/order-reports.js';
import { createCartService } from './orders/cart-service.js';
import { cartCountInHeader } from './orders/cart-count.js';
import ordersRoutes from './orders/orders-routes.js';
import orderLookupRoutes from './orders/order-lookup-routes.js';
import { createOrderLookup, createOrderRequests } from './orders/index.js';
import { outboxOrderLinks } from './notifications/order-link-notice.js';
import { createOrdersService } from './orders/orders-service.js';
import { benefitSection, purchaseBenefit } from './orders/benefit.js';
import { createLedgerService } from './ledger/ledger-service.js';
import { createCheckpointsService } from './ledger/checkpoints-service.js';
import checkpointRoutes from './coordinator/checkpoint-routes.js';
import { createPaymentsService } from './payments/payments-service.js';
import { createStripeCheckout, createStripeClient, createStripeRefund } from './payments/stripe-gateway.js';
import stripeRoutes from './payments/stripe-routes.js';
import { createStripeWebhookHandler } from './payments/stripe-webhooks.js';
import type Stripe from 'stripe';
import coordinatorRoutes from './coordinator/coordinator-routes.js';
import coordinatorMoneyRoutes from './coordinator/coordinator-money-routes.js';
import bankBatchRoutes from './coordinator/bank-batch-routes.js';
import payoutRequestRoutes from './coordinator/payout-request-routes.js';
import { createLedgerReports } from './ledger/ledger-reports.js';
import { createPayoutsService } from './ledger/payouts-service.js';
import { createProjectManagement, projectScopeOf } from './projects/project-management.js';
import secretaryOrdersRoutes from './secretary/secretary-orders-routes.js';
import secretaryRoutes from './secretary/secretary-routes.js';
import { createVillagesService } from './villages/villages-service.js';
import { createCatalogService } from './catalog/catalog-service.js';
import catalogRoutes from './catalog/catalog-routes.js';
import { systemClock, type Clock } from './clock.js';
import {
  createLeaderLease,
  createPeriodicWork,
  databaseRateLimitStore,
  LEASE_MS,
  pruneRateLimitCounters,
  type PeriodicTimers,
  type PeriodicWork,
} from './cluster/index.js';
import type { Config } from './config.js';
import type { Database_ } from './db/client.js';
import { createMediaService, MAX_UPLOAD_BYTES } from './media/media-service.js';
import { createPrivacyService } from './privacy/privacy-service.js';
import privacyRoutes from './privacy/privacy-routes.js';
import mediaRoutes from './media/media-routes.js';
import errorHandler from './plugins/error-handler.js';
import requestContext from './plugins/request-context.js';
import security from './plugins/security.js';
import sessionPlugin from './plugins/session.js';
import viewPlugin from './plugins/view.js';
import pageCache from './plugins/page-cache.js';
import requestLog, { requestIdFor } from './plugins/request-log.js';
import { STATIC_DIR } from './paths.js';
import healthRoutes from './health-routes.js';
import { createLotsService, createRecallService, lotPanelFor, lotsRoutes, orderLotsSection, recallRoutes } from './lots/index.js';
import { createWishCheckout, createWishesService, orderWishSection, wishesRoutes } from './wishes/index.js';
import { createDonationReceipts, donationReceiptRoutes, donationReceiptSection } from './donations/index.js';
import { createExports, exportsRoutes } from './exports/index.js';
import { createImpactService } from './coordinator/impact-service.js';
import proofRoutes from './coordinator/proof-routes.js';
import { createReconciliationService } from './coordinator/reconciliation-service.js';
import { receiptQr } from './orders/receipt-qr.js';
import { createReceiptService } from './orders/receipt-service.js';
import { createInstitutionalService, institutionalRoutes, organizationBuyerSection } from './institutions/index.js';
import { createOutletsService, createPickupCodes, orderPickupSection, outletsRoutes, pickupOutletChoices } from './outlets/index.js';
import apiEtag from './api/api-etag.js';
import publicApiRoutes, { apiDocsRoutes } from './api/api-routes.js';
import { API_PREFIX } from './api/api-schemas.js';
import { registerOpenApi } from './api/openapi.js';

export interface AppDeps {
  db: Database_;
  clock?: Clock;
  /** Pino options or false; tests pass false. */
  logger?: boolean | Record<string, unknown>;
  /** The Stripe client when Stripe is configured; tests pass one pointed at a fake Stripe. */
  stripe?: Stripe;
  /** The scheduled backups' timer and runner (BACKUP_DIR); tests pass a timer they advance by hand. */
  backups?: { timers?: BackupTimers; run?: RunBackup };
  /** A second mailbox for account e-mails besides the outbox (tests read a memory mailbox). */
  accountMail?: AccountMail;
  /** The periodic work's timer and this server's name in the leases table; tests pass a timer they advance by hand. */
  periodic?: { timers?: PeriodicTimers; holder?: string };
}

export type App = FastifyInstance;

declare module 'fastify' {
  interface FastifyInstance {
    /** The scheduled backups (BACKUP_DIR), started by the server once it serves (src/server.ts); null when not configured. */
    backups: BackupSchedule | null;
    /** Delivers the outbox (or logs it without SMTP_URL); started by the server once it serves. */
    outboxWorker: OutboxWorker;
    /**
     * The cluster's timers (expiry sweep, housekeeping, the hourly ledger checkpoint), run by the one
     * server holding the lease; the outbox worker and scheduled backups ask it too. Started by the
     * server once it serves (src/server.ts).
     */
    periodicWork: PeriodicWork;
  }
}

/** Builds every service once (the composition root). Nothing is wired on first request. */
export function buildServices(config: Config, deps: AppDeps, stripe: Stripe | null, log: FastifyBaseLogger) {
  const clock = deps.clock ?? systemClock;
  const audit = createAuditService(deps.db, clock);
  const sessions = createSessionService(deps.db, clock);
  // Messages to people leave through the outbox, written in the transaction of what they report.
  const outbox = createOutbox(deps.db, { clock });
  const mailPreferences = createMailPreferences(deps.db, { clock, secret: config.sessionSecret, publicUrl: config.publicUrl });
  const accountMail = deps.accountMail ? bothAccountMail(outboxAccountMail(outbox), deps.accountMail) : outboxAccountMail(outbox);
  const accounts = createAccountsService(deps.db, {
    clock,
    audit,
    throttle: createSignInThrottle(deps.db, { clock, log }),
    mail: accountMail,
    links: {
      confirmRegistration: (token) => `${config.publicUrl}/register/confirm?token=${encodeURIComponent(token)}`,
      signIn: () => `${config.publicUrl}/login`,
    },
  });
  const passwordResets = createPasswordResets(deps.db, {
    clock,
    audit,
    mail: accountMail,
    link: (token) => `${config.publicUrl}/password/reset?token=${encodeURIComponent(token)}`,
    localeOf: mailPreferences.localeOf,
  });
  // Staff two-factor sign-in (TOTP), required of admins and coordinators when TWO_FACTOR_REQUIRED=true.
  const twoFactor = createTwoFactor(deps.db, { clock, secret: config.sessionSecret, audit, issuer: '乡益 Xiangyi', required: config.twoFactorRequired });
  // The buyer's address book, its places from China's official administrative divisions.
  const divisions = chinaDivisions();
  const addressBook = createAddressBook(deps.db, { clock, divisions });
  const media = createMediaService(deps.db);
  const villages = createVillagesService(deps.db, { clock, audit, media });
  const catalog = createCatalogService(deps.db, { clock, householdStories: villages.readPublicStories });
  const products = createProductManagement(deps.db, { clock, audit, media, villages });
  const orderReports = createOrderReports(deps.db);
  const ledger = createLedgerService(deps.db, { clock });
  const checkpoints = createCheckpointsService(deps.db, { clock });
  const cart = createCartService(deps.db, { clock });
  const orderNotices = createOrderNotices({ outbox, preferences: mailPreferences, people: accounts, villageNames: villages.readVillageNames, config });
  const orders = createOrdersService(deps.db, { clock, ledger, audit, expiry: config.orderExpiry, events: orderNotices });
  // The buyer's refund and problem requests, answered by the coordinators in scope of the order.
  const orderRequests = createOrderRequests(deps.db, { clock, audit, orders, events: orderNotices });
  // "Find my order": a fresh link to the order's own e-mail address (or phone), through the outbox.
  const orderLookup = createOrderLookup(deps.db, {
    clock,
    messenger: outboxOrderLinks(outbox),
    *buyerEmail(tx, userId) {
      return (yield* accounts.mailRecipient(tx, userId))?.email;
    },
    link: (number, token) => `${config.publicUrl}/orders/${encodeURIComponent(number)}?token=${encodeURIComponent(token)}`,
  });
  const onlineRefund = stripe ? createStripeRefund({ stripe, db: deps.db }) : undefined;
  const payments = createPaymentsService(deps.db, { clock, orders, audit, onlineRefund });
  const startStripeCheckout = stripe
    ? createStripeCheckout({ stripe, publicUrl: config.publicUrl, orders, db: deps.db, clock, expiryMs: config.orderExpiry.stripeMs })
    : null;
  const stripeWebhooks =
    stripe && config.stripe
      ? createStripeWebhookHandler({ stripe, webhookSecret: config.stripe.webhookSecret, orders, payments, db: deps.db, ledger, audit, clock })
      : null;
  // The coordinator's money pages: projects and split rules, household balances, payouts.
  const ledgerReports = createLedgerReports(deps.db);
  const projectManagement = createProjectManagement(deps.db, { clock, audit });
  const payouts = createPayoutsService(deps.db, {
    clock,
    ledger,
    audit,
    addEvidence: media.addEvidence,
    assertHousehold: projectManagement.checkHousehold,
    projectScopeOf,
    approvalThresholdFen: config.payoutApprovalThresholdFen,
    bankAccountOf: villages.bankAccountOf,
  });
  // Micro-wishes (donation orders into a project fund) and harvest lots (traceability).
  const buyerNotices = { outbox, preferences: mailPreferences, people: accounts, config };
  const wishes = createWishesService(deps.db, { clock, audit, media, orders, events: createWishNotices(buyerNotices) });
  // Donation receipts (捐赠票据): issued by the orders domain when a donation is paid; read by donors and coordinators.
  const donationReceipts = createDonationReceipts(deps.db, { clock, audit, donors: orders.parts });
  // The auditors' exports, limited to each coordinator's projects (and their households).
  const exports = createExports(deps.db, { audit, householdScope: projectManagement.householdScope });
  const startWishCheckout = stripe
    ? createWishCheckout({ stripe, publicUrl: config.publicUrl, db: deps.db, clock, expiryMs: config.orderExpiry.stripeMs })
    : null;
  const lots = createLotsService(deps.db, { clock, audit, media, products, villages, events: createRecallNotices(buyerNotices) });
  const recalls = createRecallService(deps.db, { clock, audit, orders, payments });
  // Proof: each month reconciled, public figures from the ledger, benefit receipts.
  const reconciliation = createReconciliationService(deps.db, { clock, audit });
  // The coordinators' daily digest of transfers to confirm and mismatches, written by the sweep once a day.
  const coordinatorDigest = createCoordinatorDigest({
    db: deps.db,
    clock,
    outbox,
    preferences: mailPreferences,
    publicUrl: config.publicUrl,
    coordinators: accounts.coordinators,
    pendingTransfers: orders.pendingOffline,
    async mismatches(period) {
      const report = await reconciliation.report(period);
      return { count: report.mismatches.length, unexplained: report.unexplained };
    },
  });
  const impact = createImpactService(deps.db, { villages, projects: catalog.projects });
  const receipts = createReceiptService(deps.db, { orders, reports: ledgerReports, villages, projects: catalog.projects });
  // Institutional buying (organisations, quotas, quotes, 发票) and charity supermarkets (outlets, pick-ups, counter sales).
  // Institutions and outlets look accounts up inside their own units of work.
  const userByEmail = accounts.userByEmail;
  const institutional = createInstitutionalService(deps.db, { clock, audit, orders, catalog, userByEmail, media });
  const outlets = createOutletsService(deps.db, {
    clock,
    audit,
    orders,
    products,
    codes: createPickupCodes(config.sessionSecret),
    // The payment is a step of its counter sale's unit of work.
    recordPayment: payments.parts.recordSucceeded,
    userByEmail,
    events: createPickupNotices(outbox),
  });
  /**
   * What of the audit log a reader sees: an admin and a coordinator of all projects everything; a
   * scoped coordinator the entries about objects of their projects (and the organisations they see).
   */
  const auditVisibility = (user: CurrentUser): AuditVisibility => {
    const scope = projectScopeOf(user);
    if (user.role === 'admin' || scope === 'all') return 'all';
    return { ...projectManagement.auditConditions(scope), organization: institutional.auditCondition(scope) };
  };
  // The buyer's checkout: place, open the payment session, clear the cart; each step with its undo.
  const checkout = createCheckout(
    checkoutSteps({ orders, cart, write: deps.db.uow.write, openPaymentSession: startStripeCheckout, placePickup: outlets.placePickup }),
  );
  // At sign-in the anonymous cart joins the user's.
  const onSignIn: SignInHook[] = [
    async (previous, userId) => {
      if (previous) await cart.mergeIntoUser(previous, userId);
    },
    // E-mail about the person is written in the language they last signed in with.
    (_previous, userId, _session, locale) => mailPreferences.recordLocale(userId, locale),
  ];
  // Personal-data requests (PIPL): each domain erases its own tables, composed in one unit of work.
  const privacy = createPrivacyService(deps.db, { clock, audit, accounts, ledger });
  return {
    privacy,
    orderLookup,
    divisions,
    addressBook,
    outbox,
    mailPreferences,
    passwordResets,
    twoFactor,
    clock,
    audit,
    auditVisibility,
    sessions,
    accounts,
    media,
    catalog,
    villages,
    products,
    orderReports,
    ledger,
    checkpoints,
    cart,
    orders,
    orderRequests,
    checkout,
    payments,
    startStripeCheckout,
    stripeWebhooks,
    onSignIn,
    ledgerReports,
    projectManagement,
    payouts,
    wishes,
    donationReceipts,
    exports,
    startWishCheckout,
    lots,
    recalls,
    reconciliation,
    coordinatorDigest,
    impact,
    receipts,
    institutional,
    outlets,
  };
}
export type Services = ReturnType<typeof buildServices>;

/**
 * Standard output for the log, written in blocks of 4 KB rather than a write per line: at info a
 * line goes out per request, and a write each (a task in the thread pool that sign-ins' scrypt
 * and page compression share) cost the catalogue a few percent under load. A quiet shop's lines
 * still go out within a second; pino flushes what is left when the process exits, and a SIGKILL
 * loses at most the last second.
 */
function bufferedStdout() {
  const stream = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  setInterval(() => {
    try {
      stream.flush();
    } catch {
      // closed at shutdown
    }
  }, 1000).unref();
  return stream;
}

/** Returns the shop as a Fastify instance that is ready but not listening. */
export async function buildApp(config: Config, deps: AppDeps): Promise<App> {
  const app = Fastify({
    logger: deps.logger ?? { level: config.logLevel, stream: bufferedStdout() },
    trustProxy: config.trustProxy,
    bodyLimit: 256 * 1024,
    routerOptions: { maxParamLength: 200, ignoreTrailingSlash: true },
    // An X-Request-Id from a proxy or client is kept when it looks like one; each log line of a request carries it as reqId.
    genReqId: requestIdFor,
    // Fastify's two lines per request are replaced by one (src/plugins/request-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  const stripe = config.stripe ? (deps.stripe ?? (await createStripeClient(config.stripe.secretKey))) : null;
  const services = buildServices(config, deps, stripe, app.log);
  const backups: BackupSchedule | null = config.backups
    ? createBackupSchedule({
        sourcePath: config.databasePath,
        ...config.backups,
        clock: services.clock,
        ...deps.backups,
        log: app.log,
        // Several servers on one database file back it up once: the server running the periodic work.
        mayRun: () => app.periodicWork.mayRun(),
      })
    : null;
  // prom-client is loaded only when metrics are on: it costs as much start-up time as Fastify itself.
  const metricsModule = config.metricsToken ? await import('./plugins/metrics.js') : null;
  const metrics = metricsModule
    ? metricsModule.createMetrics({
        totals: async () => {
          const [orders, ledgerPostings] = await Promise.all([services.orders.totals(), services.ledger.transactionCount()]);
          return { ordersPlaced: orders.placed, ordersPaid: orders.paid, ledgerPostings };
        },
        groupCommit: () => (deps.db.engine === 'sqlite' ? deps.db.commitGrouped.stats : null),
        backup: () => backups?.status() ?? null,
        outbox: () => services.outbox.backlog(),
      })
    : null;

  // First: the request id on every response and one log line per request.
  await app.register(requestLog);
  if (metricsModule && metrics && config.metricsToken) await app.register(metricsModule.default, { metrics, token: config.metricsToken });
  // Third-party plugins.
  await app.register(fastifyCookie, { secret: config.sessionSecret });
  // Anonymous catalogue hits are answered here, before the hooks of the plugins after it.
  await app.register(pageCache, {
    db: deps.db,
    secureCookies: config.secureCookies,
    clock: services.clock,
    onLookup: metrics?.pageCacheLookup,
    limits: config.pageCache,
    cdn: config.pageCache.cdn,
  });
  // The public API's ETags: after the page cache's (it may have set one), before compression.
  await app.register(apiEtag);
  // Before any route, so the OpenAPI document sees them all.
  await registerOpenApi(app, { publicUrl: config.publicUrl });
  await app.register(fastifyFormbody);
  // Uploads are read into memory one file at a time and re-encoded; nothing is written to disk.
  await app.register(fastifyMultipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 10, parts: 12 } });
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: config.stripe ? ["'self'", 'https://checkout.stripe.com'] : ["'self'"],
        ...(config.secureCookies ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: config.secureCookies,
    // Headers only long-gone browsers read (OWASP's headers cheat sheet: don't send X-XSS-Protection;
    // X-Download-Options is for Internet Explorer 8). Every response carries them, and costs them.
    xXssProtection: false,
    xDownloadOptions: false,
  });
  // Text responses are compressed for clients that accept it (cached pages are compressed once, by the page cache).
  await app.register(fastifyCompress, { encodings: ['br', 'gzip'], globalDecompression: false });
  // Limits are per route (sign-in, registration); nothing is limited globally. Counted in the
  // database, so every app server on it shares them (src/cluster/rate-limit-store.ts). A request
  // is counted once it passed the CSRF check and the route's own guard (route preHandlers run
  // after the app's): one refused before it writes nothing, and costs nothing worth limiting.
  await app.register(fastifyRateLimit, { global: false, hook: 'preHandler', store: databaseRateLimitStore(deps.db) });
  await app.register(fastifyStatic, {
    root: STATIC_DIR,
    prefix: '/static/',
    maxAge: '1h',
    etag: true,
  });

  // The app's own plugins.
  await app.register(requestContext, { secureCookies: config.secureCookies });
  await app.register(security, {
    sessionSecret: config.sessionSecret,
    secureCookies: config.secureCookies,
    publicUrl: config.publicUrl,
    clock: services.clock,
  });
  await app.register(sessionPlugin, { sessions: services.sessions, secureCookies: config.secureCookies });
  // Admins and coordinators without two-factor sign-in, while it is required, go to enrolment first.
  app.addHook('preHandler', twoFactorGate(services.twoFactor));
  await app.register(viewPlugin);
  await app.register(errorHandler);
  // The header's cart count on every page of a visitor with a cart.
  await app.register(cartCountInHeader, { cart: services.cart });

  // Routes, domain by domain.
  await app.register(healthRoutes, { db: deps.db, backup: backups ? () => backups.status() : null, periodicWork: () => app.periodicWork.status().role });
  await app.register(mediaRoutes, { media: services.media });
  await app.register(catalogRoutes, {
    catalog: services.catalog,
    figures: services.impact,
    // What the product page shows besides the product, each asked of its own domain.
    productSections: [organizationBuyerSection(services.institutional)],
    // The product page's "where the money goes": the receipt's sentences for a purchase of it alone.
    purchaseBenefit: purchaseBenefit({
      publicHouseholds: services.villages.publicHouseholds,
      villageNames: services.villages.villageNames,
      projects: () => services.catalog.projects(),
    }),
  });
  await app.register(publicApiRoutes, {
    prefix: API_PREFIX,
    catalog: services.catalog,
    figures: services.impact,
    impact: services.impact,
    receipts: services.receipts,
    wishes: services.wishes,
    villageNames: () => services.villages.villageNames(),
    projects: async () => services.catalog.projects(),
  });
  await app.register(apiDocsRoutes);
  await app.register(accountsRoutes, {
    accounts: services.accounts,
    onSignIn: services.onSignIn,
    clock: services.clock,
    secureCookies: config.secureCookies,
    twoFactor: services.twoFactor,
  });
  await app.register(twoFactorRoutes, { twoFactor: services.twoFactor });
  await app.register(passwordResetRoutes, { resets: services.passwordResets });
  await app.register(addressRoutes, { addressBook: services.addressBook, divisions: services.divisions });
  await app.register(notificationsRoutes, { outbox: services.outbox, preferences: services.mailPreferences, smtpConfigured: config.mail.smtpUrl !== null });
  await app.register(adminRoutes, { accounts: services.accounts, audit: services.audit, auditVisibility: services.auditVisibility, catalog: services.catalog });
  await app.register(secretaryRoutes, {
    villages: services.villages,
    products: services.products,
    catalog: services.catalog,
    reports: services.orderReports,
    clock: services.clock,
    maxUploadBytes: MAX_UPLOAD_BYTES,
    readMedia: services.media.get,
    lotPanel: lotPanelFor(services.lots, services.clock),
  });
  await app.register(secretaryOrdersRoutes, { orders: services.orders });
  await app.register(privacyRoutes, { privacy: services.privacy, clock: services.clock });
  await app.register(orderLookupRoutes, { lookup: services.orderLookup });
  await app.register(ordersRoutes, {
    cart: services.cart,
    orders: services.orders,
    payments: services.payments,
    // What the order page shows besides the order, each asked by its own domain.
    sections: [
      orderWishSection(services.wishes),
      donationReceiptSection(services.donationReceipts),
      orderPickupSection(services.outlets),
      orderLotsSection(services.lots),
      benefitSection({
        publicHouseholds: services.villages.publicHouseholds,
        villageNames: services.villages.villageNames,
        projects: () => services.catalog.projects(),
      }),
    ],
    pickupOutlets: pickupOutletChoices(services.outlets),
    bank: config.bank,
    startStripeCheckout: services.startStripeCheckout,
    receiptQr: (code, label) => receiptQr(config.publicUrl, code, label),
    pickupEnabled: true,
    checkout: services.checkout,
    addressBook: services.addressBook,
    divisions: services.divisions,
    requests: services.orderRequests,
    receiptAutoConfirmMs: config.receiptAutoConfirmMs,
  });
  await app.register(coordinatorRoutes, {
    orders: services.orders,
    requests: services.orderRequests,
    payments: services.payments,
    villages: services.villages,
    projects: services.projectManagement,
  });
  await app.register(coordinatorMoneyRoutes, {
    projects: services.projectManagement,
    payouts: services.payouts,
    reports: services.ledgerReports,
    villages: services.villages,
    media: services.media,
    clock: services.clock,
    approvalThresholdFen: config.payoutApprovalThresholdFen,
    ledgerHead: () => services.checkpoints.head(),
  });
  await app.register(payoutRequestRoutes, {
    payouts: services.payouts,
    villages: services.villages,
    approvalThresholdFen: config.payoutApprovalThresholdFen,
  });
  await app.register(bankBatchRoutes, { payouts: services.payouts, villages: services.villages, clock: services.clock });
  await app.register(proofRoutes, {
    reconciliation: services.reconciliation,
    impact: services.impact,
    receipts: services.receipts,
    orders: services.orders,
    villageNames: () => services.villages.villageNames(),
    villages: services.villages,
    projects: async () => services.catalog.projects(),
    publicUrl: config.publicUrl,
    checkpoints: services.checkpoints,
  });
  await app.register(checkpointRoutes, { checkpoints: services.checkpoints, publicUrl: config.publicUrl });
  await app.register(exportsRoutes, { exports: services.exports, clock: services.clock });
  await app.register(donationReceiptRoutes, { receipts: services.donationReceipts, clock: services.clock });
  await app.register(wishesRoutes, {
    wishes: services.wishes,
    catalog: services.catalog,
    startWishCheckout: services.startWishCheckout,
    maxUploadBytes: MAX_UPLOAD_BYTES,
  });
  await app.register(lotsRoutes, { lots: services.lots, maxUploadBytes: MAX_UPLOAD_BYTES, clock: services.clock });
  await app.register(recallRoutes, { recalls: services.recalls });
  await app.register(institutionalRoutes, {
    institutional: services.institutional,
    catalog: services.catalog,
    clock: services.clock,
    maxUploadBytes: MAX_UPLOAD_BYTES,
  });
  await app.register(outletsRoutes, { outlets: services.outlets, orders: services.orders, products: services.products });
  if (services.stripeWebhooks) await app.register(stripeRoutes, { webhooks: services.stripeWebhooks });

  // The cluster's timers run on one server at a time: the one holding the lease (src/cluster/).
  const periodicWork = createPeriodicWork({
    lease: createLeaderLease(deps.db, { clock: services.clock, name: 'periodic-work', ttlMs: LEASE_MS, holder: deps.periodic?.holder }),
    log: app.log,
    timers: deps.periodic?.timers,
  });
  app.decorate('periodicWork', periodicWork);
  // Unpaid orders past their expiry release their stock (also checked on every run of this sweep);
  // old sign-in failures, expired registration links, order look-ups and request counts are forgotten;
  // the coordinators' daily digest is written once a day.
  periodicWork.every('expiry-sweep', 60_000, async () => {
    await services.orders.expireDue();
    await services.accounts.prune();
    await services.passwordResets.prune();
    await services.orderLookup.prune();
    await pruneRateLimitCounters(deps.db);
    await services.coordinatorDigest.runDue();
  });
  // Shipped orders nobody confirmed as received within RECEIPT_AUTO_CONFIRM_DAYS are confirmed (确认收货),
  // a job of its own so a failure there holds up neither expiry nor housekeeping.
  periodicWork.every('receipt-auto-confirm', 10 * 60_000, () => services.orders.autoConfirmDue(config.receiptAutoConfirmMs));
  app.decorate('backups', backups);
  const outboxWorker = createOutboxWorker({
    outbox: services.outbox,
    transport: config.mail.smtpUrl
      ? smtpTransport({ url: config.mail.smtpUrl, from: config.mail.from, messageIdDomain: new URL(config.publicUrl).hostname })
      : null,
    // Text messages (order placed with bank details, shipped, pick-up code) when SMS_API_URL is set.
    sms: config.sms ? httpSmsProvider(config.sms) : null,
    log: app.log,
    mayRun: periodicWork.mayRun,
  });
  app.decorate('outboxWorker', outboxWorker);
  app.addHook('onClose', () => outboxWorker.stop());
  if (backups) app.addHook('onClose', () => backups.stop());

  // The day's checkpoint of the ledger (its published anchor): written at start-up and by the
  // first hourly run of each day (CST); several servers write it once (a unique daily key).
  const publishDailyCheckpoint = async () => {
    try {
      await services.checkpoints.publishDaily();
    } catch (error) {
      app.log.error({ err: error }, 'the daily ledger checkpoint was not written');
    }
  };
  await publishDailyCheckpoint();
  periodicWork.every('ledger-checkpoint', 3600_000, publishDailyCheckpoint);
  // Last of the onClose hooks to stop the work: the lease is given up once the runs in flight end.
  app.addHook('onClose', () => periodicWork.stop());

  await app.ready();
  return app;
}
