import type { FastifyRequest } from 'fastify';
import { AppError } from './errors.js';
import type { FieldMessages } from './forms.js';
import { hasMessage, type MessageKey } from './i18n/i18n.js';

/** An error's named values, with a unit code (kg, jar …) in the reader's words. */
function paramsOf(request: FastifyRequest, error: AppError): Record<string, string | number> {
  const params = { ...error.details.params };
  const unitKey = `unit.${params.unit}`;
  if (typeof params.unit === 'string' && hasMessage(unitKey)) params.unit = request.t(unitKey as MessageKey);
  return params;
}

/** A service error's field codes as sentences in the reader's language, with the error's named values. */
export function fieldMessagesOf(request: FastifyRequest, error: AppError): FieldMessages {
  const out: FieldMessages = {};
  for (const [field, code] of Object.entries(error.details.fields ?? {})) {
    const key = `errors.${code}`;
    out[field] = hasMessage(key) ? request.t(key as MessageKey, paramsOf(request, error)) : request.t('validation.invalid');
  }
  return out;
}

/** A service error as one sentence. */
export function messageOf(request: FastifyRequest, error: AppError): string {
  const key = `errors.${error.code}`;
  return hasMessage(key) ? request.t(key as MessageKey, paramsOf(request, error)) : request.t('errors.bad_request');
}

/** Errors a form shows next to its fields (validation, conflicts); anything else goes to the error handler. */
export function isFormError(error: unknown): error is AppError {
  return error instanceof AppError && (error.type === 'validation' || error.type === 'conflict');
}
