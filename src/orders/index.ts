/** The orders domain's front door: its services and the types other domains see. */
export type { Order, OrderLine, Shipment } from './orders-queries.js';
export type { SellableProduct } from './cart-queries.js';
export type { CartOwner, CartService } from './cart-service.js';
export type { CheckoutContact, DirectOrder, OrdersService, PlaceOptions, PlacedOrder } from './orders-service.js';
export type { LowStockProduct, OrderEvents } from './order-events.js';
export type { OrderPageSection, OrderViewer, PickupOutletChoice, ShownOrder } from './order-page.js';
export { benefitSection, purchaseBenefit, type PurchaseBenefit, type PurchaseOffer } from './benefit.js';
export { createOrderLookup, ORDER_LOOKUP, type OrderLinkMessage, type OrderLinkMessenger, type OrderLookup } from './order-lookup.js';
export { carrierChoices, carrierName, carrierNamed, CARRIERS, trackingUrlOf, type Carrier } from './carriers.js';
export { createOrderRequests, type OrderRequest, type OrderRequests, type RequestInput } from './order-requests.js';
export { buyerOrders, eraseBuyerFromOrders, ordersHoldingContact } from './buyer-data.js';
