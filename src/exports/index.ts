/** Front door of the auditors' exports: CSV cells, the exports service and its routes. */
export { csvCell, csvDocument } from './csv.js';
export { createExports, EXPORT_KINDS, type ExportKind, type Exports } from './exports-service.js';
export { default as exportsRoutes } from './exports-routes.js';
