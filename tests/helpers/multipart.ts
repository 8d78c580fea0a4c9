import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse as Response } from 'fastify';
import sharp from 'sharp';
import type { App } from '../../src/app.js';
import type { TestBrowser } from './auth.js';

export interface FilePart {
  name: string;
  filename: string;
  contentType: string;
  data: Buffer;
}

/** A multipart/form-data body as a browser sends an upload form: text fields first, then the file. */
export function multipartBody(fields: Record<string, string | string[]>, file?: FilePart) {
  const boundary = `----xiangyi${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${v}\r\n`));
    }
  }
  if (file) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.contentType}\r\n\r\n`,
      ),
    );
    chunks.push(file.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Posts an upload form the way its page does: the CSRF token (from `csrfFrom`) is the form's first field. */
export async function postMultipart(
  app: App,
  browser: TestBrowser,
  url: string,
  fields: Record<string, string | string[]>,
  file?: FilePart,
  csrfFrom?: string,
): Promise<Response> {
  const token = await browser.csrfToken(csrfFrom);
  const { payload, contentType } = multipartBody({ _csrf: token, ...fields }, file);
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': contentType },
    payload,
    cookies: { ...browser.cookies },
  });
}

/** A small JPEG photo (a coloured rectangle) as a phone would upload it. */
export async function jpegPhoto(name = 'photo', colour = '#c8553d'): Promise<FilePart> {
  const data = await sharp({ create: { width: 64, height: 48, channels: 3, background: colour } })
    .jpeg()
    .toBuffer();
  return { name, filename: 'photo.jpg', contentType: 'image/jpeg', data };
}
