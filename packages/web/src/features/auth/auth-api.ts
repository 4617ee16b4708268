import type { Me } from '@berth/shared';
import { api } from '../../api/client';

/** Exchanges an API token for a portal session (POST /api/v1/auth/token-login). */
export const tokenLogin = (token: string) =>
  api<Me>('/api/v1/auth/token-login', { method: 'POST', body: { token }, noSessionRedirect: true });
