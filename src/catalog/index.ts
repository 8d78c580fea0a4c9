/** The catalogue's front door. */
export { recordSold, releaseStock, reserveStock } from './stock.js';
