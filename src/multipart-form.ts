import type {} from '@fastify/multipart';
import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

export interface MultipartForm {
  /** Text fields; a repeated field (a checkbox group) becomes an array. */
  fields: Record<string, string | string[]>;
  /** The (first) file part, when a file was chosen. */
  file: { field: string /** As the browser sent it. */; name: string; bytes: Buffer } | null;
  /** Every file chosen, in the order sent (at most the limits' `files`, default one). */
  files: { field: string; name: string; bytes: Buffer }[];
  /** A file was over the size limit (nothing of the form's files is kept). */
  fileTooLarge: boolean;
  /** More files were sent than the limits allow (nothing of the form's files is kept). */
  tooManyFiles: boolean;
}

/**
 * Reads a multipart form (text fields and at most one file, held in memory) the way the upload
 * forms of the consoles post it. On `csrf: 'multipart'` routes (every upload form) the first field,
 * the CSRF token, was read and checked before the handler. Nothing here is trusted before the
 * route's own checks. A file input left empty arrives as a part
 * without a file name.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** The limits of a route's multipart form whose token is its first field (`csrf: 'multipart'`); the token is one more field. */
    multipartLimits?: { fileSize: number; fields: number; files?: number };
  }
}

/** Bytes per file, text fields, and files (default one). */
type Limits = { fileSize: number; fields: number; files?: number };
/** Multipart bodies whose first part (the CSRF field) was read before the handler: the rest of their parts. */
const opened = new WeakMap<FastifyRequest, AsyncIterator<Multipart>>();

const openParts = (request: FastifyRequest, limits: Limits): AsyncIterator<Multipart> =>
  request
    .parts({
      limits: { fileSize: limits.fileSize, files: limits.files ?? 1, fields: limits.fields + 1, parts: limits.fields + (limits.files ?? 1) + 1 },
    })
    [Symbol.asyncIterator]();

/**
 * The CSRF token of an upload form on a route with `csrf: 'multipart'`: its first field, `_csrf`,
 * as the page's form sends it (a token in the action URL would end up in logs and browser
 * history). Only that part is read; readMultipartForm reads the rest. Anything else first: no token.
 */
export async function readCsrfField(request: FastifyRequest): Promise<string | undefined> {
  const limits = request.routeOptions.config?.multipartLimits;
  if (!limits) throw new Error(`Route ${request.routeOptions.url} has csrf: 'multipart' but no multipartLimits`);
  const parts = openParts(request, limits);
  opened.set(request, parts);
  try {
    const first = await parts.next();
    if (first.done || first.value.type !== 'field' || first.value.fieldname !== '_csrf' || typeof first.value.value !== 'string') return undefined;
    return first.value.value;
  } catch {
    return undefined; // a malformed body carries no token: refused as such
  }
}

export async function readMultipartForm(request: FastifyRequest, limits: Limits): Promise<MultipartForm> {
  if (!request.isMultipart()) throw new AppError('bad_request', 'bad_request');
  const form: MultipartForm = { fields: {}, file: null, files: [], fileTooLarge: false, tooManyFiles: false };
  try {
    await readParts(request, limits, form);
  } catch (error) {
    // A cut-off or malformed body is the client's fault: 400, never 500. Limit errors keep their 413.
    const status = (error as { statusCode?: unknown } | null)?.statusCode;
    if ((error as { code?: unknown } | null)?.code === 'FST_FILES_LIMIT') {
      form.tooManyFiles = true;
      form.files = [];
      form.file = null;
      delete form.fields._csrf;
      return form;
    }
    if (error instanceof AppError || (typeof status === 'number' && status >= 400 && status < 500)) throw error;
    throw new AppError('bad_request', 'bad_request');
  }
  delete form.fields._csrf;
  return form;
}

async function readParts(request: FastifyRequest, limits: Limits, form: MultipartForm): Promise<void> {
  // After the CSRF field was read (readCsrfField), the rest of the same body; else the whole body.
  const iterator = opened.get(request) ?? openParts(request, limits);
  const parts = { [Symbol.asyncIterator]: () => iterator };
  for await (const part of parts) {
    if (part.type === 'file') {
      if (!part.filename) {
        await part.toBuffer().catch(() => undefined); // drain the empty part
        continue;
      }
      try {
        form.files.push({ field: part.fieldname, name: part.filename, bytes: await part.toBuffer() });
        form.file = form.files[0] ?? null;
      } catch {
        form.fileTooLarge = true;
        form.files = [];
        form.file = null;
        break;
      }
      continue;
    }
    if (typeof part.value !== 'string') continue;
    const existing = form.fields[part.fieldname];
    if (existing === undefined) form.fields[part.fieldname] = part.value;
    else form.fields[part.fieldname] = Array.isArray(existing) ? [...existing, part.value] : [existing, part.value];
  }
}
