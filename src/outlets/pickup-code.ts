import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Pick-up codes. The code is derived from the order's secret access token with an HMAC, so the
 * buyer's confirmation link can show it again at any time while the database keeps neither the
 * token nor the code in clear: only a keyed hash of the code, which the outlet's check looks up.
 */
export interface PickupCodes {
  /** The 6-digit code of the order whose access token this is. */
  codeFor(accessToken: string): string;
  /** What is stored and looked up for a code. */
  hashOf(code: string): string;
  /** Does this token's code match the stored hash (constant time)? */
  matches(accessToken: string, storedHash: string): boolean;
}

export function createPickupCodes(secret: string): PickupCodes {
  // A key of its own, derived from the application secret, so these MACs mean nothing elsewhere.
  const key = createHmac('sha256', secret).update('xiangyi pickup codes v1').digest();
  const codeFor = (accessToken: string) => {
    const mac = createHmac('sha256', key).update(`code:${accessToken}`).digest();
    return String(mac.readUInt32BE(0) % 1_000_000).padStart(6, '0');
  };
  const hashOf = (code: string) => createHmac('sha256', key).update(`hash:${code}`).digest('hex');
  return {
    codeFor,
    hashOf,
    matches(accessToken, storedHash) {
      const given = Buffer.from(hashOf(codeFor(accessToken)), 'hex');
      const stored = Buffer.from(storedHash, 'hex');
      return given.length === stored.length && timingSafeEqual(given, stored);
    },
  };
}
