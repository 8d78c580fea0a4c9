import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.js';
import type { FieldMessages } from './forms.js';
import { errorText, hasMessage, localiseParams, type MessageKey } from './i18n/i18n.js';

/*
 * The one way from a service's typed error (AppError) to words: its code is the message key
 * errors.<code>, its named values put in the reader's words (units, statuses) by localiseParams.
 * Pages use these two; the error handler uses errorText for everything it answers itself.
 */

/** A service error's field codes as sentences in the reader's language, with the error's named values. */
export function fieldMessagesOf(request: FastifyRequest, error: AppError): FieldMessages {
  const out: FieldMessages = {};
  const params = localiseParams(request.t, error.details.params);
  for (const [field, code] of Object.entries(error.details.fields ?? {})) {
    const key = `errors.${code}`;
    out[field] = hasMessage(key) ? request.t(key as MessageKey, params) : request.t('validation.invalid');
  }
  return out;
}

/** A service error as one sentence. */
export function messageOf(request: FastifyRequest, error: AppError): string {
  return errorText(request.t, error.code, error.details.params);
}

/** Errors a form shows next to its fields (validation, conflicts); anything else goes to the error handler. */
export function isFormError(error: unknown): error is AppError {
  return error instanceof AppError && (error.type === 'validation' || error.type === 'conflict');
}
