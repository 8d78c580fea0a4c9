import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

export interface MultipartForm {
  /** Text fields; a repeated field (a checkbox group) becomes an array. */
  fields: Record<string, string | string[]>;
  /** The one file part, when a file was chosen. */
  file: { field: string; bytes: Buffer } | null;
  /** The file was over the size limit (nothing of it is kept). */
  fileTooLarge: boolean;
}

/**
 * Reads a multipart form (text fields and at most one file, held in memory) the way the upload
 * forms of the consoles post it: the CSRF token rides in the action URL, so nothing here is trusted
 * before the route's own checks. A file input left empty arrives as a part without a file name.
 */
export async function readMultipartForm(request: FastifyRequest, limits: { fileSize: number; fields: number }): Promise<MultipartForm> {
  if (!request.isMultipart()) throw new AppError('bad_request', 'bad_request');
  const form: MultipartForm = { fields: {}, file: null, fileTooLarge: false };
  try {
    await readParts(request, limits, form);
  } catch (error) {
    // A cut-off or malformed body is the client's fault: 400, never 500. Limit errors keep their 413.
    const status = (error as { statusCode?: unknown } | null)?.statusCode;
    if (error instanceof AppError || (typeof status === 'number' && status >= 400 && status < 500)) throw error;
    throw new AppError('bad_request', 'bad_request');
  }
  return form;
}

async function readParts(request: FastifyRequest, limits: { fileSize: number; fields: number }, form: MultipartForm): Promise<void> {
  const parts = request.parts({ limits: { fileSize: limits.fileSize, files: 1, fields: limits.fields, parts: limits.fields + 1 } });
  for await (const part of parts) {
    if (part.type === 'file') {
      if (!part.filename) {
        await part.toBuffer().catch(() => undefined); // drain the empty part
        continue;
      }
      try {
        form.file = { field: part.fieldname, bytes: await part.toBuffer() };
      } catch {
        form.fileTooLarge = true;
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
