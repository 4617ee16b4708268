import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** Memory-hard parameters: 2^15 × 8 × 128 bytes = 32 MiB per hash, about 50-100 ms on one core. */
const defaultParams = { N: 2 ** 15, r: 8, p: 1 } as const;
const keyLength = 32;
const saltLength = 16;

/** Upper bounds for stored parameters, so a tampered hash cannot make verification eat the host. */
const maxN = 2 ** 20;
const maxR = 32;
const maxP = 16;

function derive(
  password: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  length = keyLength,
): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node's default maxmem (32 MiB) is exactly our working set, which it rejects.
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r * 2 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Hashes a password into `scrypt$N$r$p$salt$hash` (salt and hash base64). */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p } = defaultParams;
  const salt = randomBytes(saltLength);
  const key = await derive(password, salt, N, r, p);
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

function parse(stored: string): { N: number; r: number; p: number; salt: Buffer; hash: Buffer } | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every(Number.isSafeInteger)) return null;
  // N must be a power of two above 1 (scrypt requirement).
  if (N < 2 || N > maxN || (N & (N - 1)) !== 0 || r < 1 || r > maxR || p < 1 || p > maxP) return null;
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const hash = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length === 0 || hash.length < 16 || hash.length > 64) return null;
  return { N, r, p, salt, hash };
}

/** Checks a password against a stored hash in constant time; a malformed hash never verifies. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.N, parsed.r, parsed.p, parsed.hash.length);
  return timingSafeEqual(key, parsed.hash);
}

let dummyHash: Promise<string> | null = null;

/**
 * Verifies against a throwaway hash: used when the user does not exist, so that answering
 * "wrong password" and "no such user" take the same time.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(password, await dummyHash);
}
