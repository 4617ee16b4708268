import { createHash, randomBytes, randomInt } from 'node:crypto';

/** A random URL-safe secret of `bytes` bytes of entropy (session ids, API tokens, CSRF tokens). */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** The form secrets are stored in: a leaked table then yields no usable credential. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

const passwordAlphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A random password without look-alike characters, for the generated first admin password. */
export function randomPassword(length = 20): string {
  let out = '';
  // randomInt is unbiased, unlike taking random bytes modulo the alphabet size.
  for (let i = 0; i < length; i += 1) out += passwordAlphabet[randomInt(passwordAlphabet.length)];
  return out;
}
