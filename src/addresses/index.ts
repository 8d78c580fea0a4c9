/** The buyer's address book: its service, the official divisions and its routes (the domain's front door). */
export { createAddressBook, DivisionError, MAX_ADDRESSES, type AddressBook, type AddressFields } from './address-book.js';
export { default as addressRoutes, divisionChoices } from './address-routes.js';
export { chinaDivisions, type Division, type Divisions } from './divisions.js';
export type { BuyerAddress } from './schema.js';
export { addressesOf, deleteAddressesOf } from './personal-data.js';
