import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { Role } from './schema.js';
import type { CurrentUser } from './session-service.js';

/**
 * Route guards. A signed-out visitor on an HTML page is sent to the sign-in page (and back after);
 * a signed-in user without the role gets 403. Per-object checks live in the services.
 */
export function requireRole(...roles: Role[]) {
  return async function guard(request: FastifyRequest, reply: FastifyReply) {
    if (!request.user) {
      if (request.method === 'GET') {
        return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
      }
      throw new AppError('unauthenticated', 'sign_in_required');
    }
    if (roles.length > 0 && !roles.includes(request.user.role)) throw new AppError('forbidden', 'forbidden');
  };
}

export const requireUser = requireRole();

/** The signed-in user; only call after a guard. */
export function currentUser(request: FastifyRequest): CurrentUser {
  if (!request.user) throw new AppError('unauthenticated', 'sign_in_required');
  return request.user;
}

/** Where a user lands after signing in, by role. */
export function homeOf(role: Role): string {
  switch (role) {
    case 'admin':
      return '/admin/users';
    case 'first_secretary':
      return '/secretary';
    case 'coordinator':
      return '/coordinator';
    case 'outlet_staff':
      return '/outlet';
    case 'buyer':
      return '/account/orders';
  }
}
