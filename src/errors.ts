/**
 * One error type for the whole application. `code` is stable and is what code branches on;
 * `type` decides the HTTP status in exactly one place (httpStatusOf).
 */
export type AppErrorType = 'bad_request' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'validation' | 'too_many_requests' | 'unavailable';

const STATUS: Record<AppErrorType, number> = {
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  validation: 422,
  too_many_requests: 429,
  unavailable: 503,
};

export interface FieldErrors {
  [field: string]: string;
}

export class AppError extends Error {
  constructor(
    readonly type: AppErrorType,
    /** Stable machine code, also the i18n key of the message shown to people (errors.<code>). */
    readonly code: string,
    message?: string,
    readonly details: { fields?: FieldErrors; params?: Record<string, string | number> } = {},
  ) {
    super(message ?? code);
    this.name = 'AppError';
  }

  get status(): number {
    return httpStatusOf(this.type);
  }
}

export function httpStatusOf(type: AppErrorType): number {
  return STATUS[type];
}

export const notFound = (code = 'not_found') => new AppError('not_found', code);
export const badRequest = (code: string, params?: Record<string, string | number>) => new AppError('bad_request', code, undefined, { params });
export const conflict = (code: string, params?: Record<string, string | number>) => new AppError('conflict', code, undefined, { params });
export const forbidden = (code = 'forbidden') => new AppError('forbidden', code);
