/** Front door of institutional buying (organisations, quotas, quotes, 发票): its service, public types and route registrations. */
export {
  createInstitutionalService,
  cstYearBounds,
  cstYearOf,
  type InstitutionalService,
  type QuotaStatus,
  type QuoteView,
} from './institutional-service.js';
export { default as institutionalRoutes } from './institutional-routes.js';
export { organizationBuyerSection } from './product-quote-section.js';
