import { z } from 'zod';

/** A DNS label: what every Berth object name must be (RFC 1123, at most 63 characters). */
export const dnsLabelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export const nameSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(63, 'must be at most 63 characters')
  .regex(
    dnsLabelPattern,
    'must be a DNS label: lowercase letters, digits and "-", starting and ending with a letter or digit',
  );

export const displayNameSchema = z.string().max(200, 'must be at most 200 characters');

/** Names of users: a DNS label too, so they are safe in paths, labels and logs. */
export const userNameSchema = nameSchema;
