/** The catalogue's front door. */
export { tiersOf } from './catalog-queries.js';
export { recordSold, releaseStock, reserveStock, takeStock, withdrawStock } from './stock.js';
