/** Front door of harvest lots (traceability) and their recalls: services, public types and route registrations. */
export { createLotsService, type LotEvents, type LotsService, type PublicLotHouseholds, type RecalledOrder } from './lots-service.js';
export { createRecallService, type RecallLine, type RecallOrder, type RecallService, type RecallStage } from './recall-service.js';
export { default as lotsRoutes, lotPanelFor } from './lots-routes.js';
export { orderLotsSection } from './order-lots-section.js';
/** Lot stock as an order moves it: steps of the orders domain's units of work. */
export { allocateLots, recalledUnitsHeld, releaseLots, type RecalledUnits } from './lots-queries.js';
export { default as recallRoutes } from './recall-routes.js';
