/** Front door of charity supermarkets (outlets, counter sales, pick-ups): services, public types and route registrations. */
export { COUNTER_CHANNELS, createOutletsService, type CounterChannel, type OutletsDeps, type OutletsService, type PickupEvents } from './outlets-service.js';
export { createPickupCodes, type PickupCodes } from './pickup-code.js';
export { default as outletsRoutes } from './outlets-routes.js';
export { orderPickupSection, pickupOutletChoices } from './order-pickup-section.js';
