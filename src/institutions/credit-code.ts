/**
 * 统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters from a 31-character
 * alphabet (digits and capitals without I, O, S, V, Z): registration authority (1), organisation
 * kind (1), administrative division (6 digits), organisation code (9) and a check character
 * computed modulo 31 over the first 17.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;
const SHAPE = /^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$/;

/** The check character of the first 17 characters, or null when one is outside the alphabet. */
export function creditCodeCheckCharacter(first17: string): string | null {
  if (first17.length !== 17) return null;
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = ALPHABET.indexOf(first17[i]!);
    if (value < 0) return null;
    sum += value * WEIGHTS[i]!;
  }
  return ALPHABET[(31 - (sum % 31)) % 31]!;
}

/** True for a well-formed code whose check character is right (uppercase; callers normalise). */
export function isCreditCode(code: string): boolean {
  return SHAPE.test(code) && creditCodeCheckCharacter(code.slice(0, 17)) === code[17];
}

/**
 * 纳税人识别号: since 2015 an organisation's tax number is its credit code; older registrations
 * have 15, 17 or 20 characters of digits and capitals.
 */
export function isTaxNumber(value: string): boolean {
  return /^[0-9A-Z]{15}$|^[0-9A-Z]{17,18}$|^[0-9A-Z]{20}$/.test(value) && (value.length !== 18 || isCreditCode(value));
}
