import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The device cookie (OWASP, "Slow Down Online Guessing Attacks with Device Cookies"): a browser
 * that signed in to an account gets a signed cookie naming the account, when it was given and a
 * random nonce. Signing in to that account again from that browser passes the account, pair and
 * address throttles (src/accounts/sign-in-throttle.ts). It proves nothing by itself: the password
 * is still checked. A cookie given before the account's last password change is not trusted.
 */
export const DEVICE_COOKIE = 'device';
const MAX_AGE_S = 365 * 24 * 3600;

/** What a device cookie claims; the service decides whether it is trusted for the account signing in. */
export interface DeviceClaim {
  userId: number;
  /** When it was given, epoch ms. */
  issuedAt: number;
  /** SHA-256 of its nonce: the key its own failures are counted under. */
  hash: string;
}

const cookieOptions = (secure: boolean) => ({ path: '/', httpOnly: true, sameSite: 'lax' as const, secure });

/** The device cookie of the request, if it carries a valid one. */
export function deviceClaimOf(request: FastifyRequest): DeviceClaim | null {
  const raw = request.cookies[DEVICE_COOKIE];
  if (!raw || raw.length > 200) return null;
  const unsigned = request.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return null;
  const match = /^([1-9][0-9]{0,9})\.([0-9]{1,15})\.([A-Za-z0-9_-]{22})$/.exec(unsigned.value);
  if (!match) return null;
  return { userId: Number(match[1]), issuedAt: Number(match[2]), hash: createHash('sha256').update(match[3]!).digest('hex') };
}

/** Gives this browser a new device cookie for the account that just proved its password. */
export function rememberDevice(reply: FastifyReply, userId: number, now: number, secure: boolean): void {
  const nonce = randomBytes(16).toString('base64url');
  reply.setCookie(DEVICE_COOKIE, `${userId}.${now}.${nonce}`, { ...cookieOptions(secure), signed: true, maxAge: MAX_AGE_S });
}

export function forgetDevice(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(DEVICE_COOKIE, cookieOptions(secure));
}
