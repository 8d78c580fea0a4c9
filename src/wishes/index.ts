/** Front door of micro-wishes (微心愿): its service, public types and route registrations. */
export { createWishesService, type WishEvents, type WishesService } from './wishes-service.js';
export { createWishCheckout, type StartWishCheckout } from './wish-checkout.js';
export type { WishStatus, WishView } from './wishes-queries.js';
/** The wish a donation order paid for (a buyer's personal-data export): a step of the caller's unit of work. */
export { wishOfOrder } from './wishes-queries.js';
/** A wish as its donation order moves it: steps of the orders domain's units of work. */
export { markWishPaid, reopenWishOf, wishProjectOfOrder } from './wishes-queries.js';
export { default as wishesRoutes, type WishesRoutesDeps } from './wishes-routes.js';
export { default as wishesApiRoutes } from './wishes-api-routes.js';
export { orderWishSection } from './order-wish-section.js';
