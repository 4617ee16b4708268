import type { GatewayVip, GatewayVipRequest } from '@berth/shared';
import { api } from '../../api/client';

/** The virtual IP of a gateway (docs/gateway.md, "Virtual IP"). */
const vipPath = (g: string) => `/api/v1/gateways/${encodeURIComponent(g)}/vip`;

export const vipKey = (g: string) => ['gateway', g, 'vip'] as const;
export const getVip = (g: string) => api<GatewayVip>(vipPath(g));
export const setVip = (g: string, body: GatewayVipRequest) =>
  api<GatewayVip>(vipPath(g), { method: 'PUT', body });
