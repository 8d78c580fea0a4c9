/** The catalogue's front door. */
export { tiersOf } from './catalog-queries.js';
export { loadProductSections, type ProductPageSection, type ProductViewer } from './product-page.js';
export { lowStockCrossedBy, recordSold, releaseStock, reserveStock, takeStock, withdrawStock } from './stock.js';
