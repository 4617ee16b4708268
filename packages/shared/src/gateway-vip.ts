import { z } from 'zod';
import { nameSchema } from './names';

/*
 * The virtual IP of a gateway (docs/gateway.md, "Virtual IP"): keepalived on the gateway's
 * nodes shares one address; the node with the highest effective priority holds it.
 */

/** A node's VRRP state as its agent last reported it; unknown: never reported, stopped or offline. */
export type GatewayVrrpState = 'MASTER' | 'BACKUP' | 'FAULT' | 'unknown';

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export const gatewayVipNodeSchema = z
  .object({
    name: nameSchema,
    interface: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/,
        'an interface name: letters, digits, _ . - and at most 15 characters (e.g. eth0)',
      )
      .refine((v) => v !== 'lo', 'lo cannot carry VRRP adverts: name the node’s LAN interface'),
    priority: z.number().int().min(1).max(254),
    /** The node's own IPv4 address, for unicast adverts. */
    address: z.string().regex(ipv4, 'an IPv4 address such as 192.0.2.10').optional(),
  })
  .strict();

export const gatewayVipRequestSchema = z
  .object({
    /** The VIP's version you read (0 when the gateway has none); a different current one → 409. */
    version: z.number().int().min(0).optional(),
    /** IPv4 address with an optional prefix length, e.g. 192.0.2.100/24 (/32 when absent). */
    address: z
      .string()
      .regex(
        /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(\/([1-9]|[12]\d|3[0-2]))?$/,
        'an IPv4 address with an optional prefix length 1-32, such as 192.0.2.100/24',
      ),
    virtualRouterId: z.number().int().min(1).max(255),
    /** PASS authentication: VRRP carries at most 8 characters (keepalived cuts longer ones). */
    authPass: z
      .string()
      .min(1)
      .max(8, 'at most 8 characters: VRRP carries 8 and keepalived silently cuts the rest')
      .regex(/^[A-Za-z0-9._+=:,%^-]+$/, 'letters, digits and . _ + = : , % ^ - only')
      .optional(),
    preemption: z.enum(['nopreempt', 'preempt']),
    /** With preempt: seconds a recovered higher-priority node waits before taking the VIP back. */
    preemptDelaySeconds: z.number().int().min(0).max(1000).optional(),
    advertIntervalSeconds: z.number().int().min(1).max(255).optional(),
    checkIntervalSeconds: z.number().int().min(1).max(60).optional(),
    checkFall: z.number().int().min(1).max(10).optional(),
    checkRise: z.number().int().min(1).max(10).optional(),
    /** Adverts by unicast between the nodes' addresses (networks without multicast). */
    unicast: z.boolean().optional(),
    nodes: z.array(gatewayVipNodeSchema).min(2).max(50),
  })
  .strict();
export type GatewayVipRequest = z.infer<typeof gatewayVipRequestSchema>;

/** The stored settings (as the request, with defaults filled in). */
export interface GatewayVipSettings {
  address: string;
  virtualRouterId: number;
  /** Whether a password is set; the password itself is never answered. */
  authPassSet: boolean;
  preemption: 'nopreempt' | 'preempt';
  preemptDelaySeconds: number;
  advertIntervalSeconds: number;
  checkIntervalSeconds: number;
  checkFall: number;
  checkRise: number;
  unicast: boolean;
  nodes: Array<{ name: string; interface: string; priority: number; address?: string | undefined }>;
}

export interface GatewayVipNodeState {
  name: string;
  /** From the VIP settings, or null for a gateway node that takes no part in the VIP. */
  interface: string | null;
  priority: number | null;
  vrrpState: GatewayVrrpState;
  /** The priority keepalived reported with the state. */
  reportedPriority: number | null;
  /** When the node entered that state (the notify script's time). */
  since: string | null;
  holdsVip: boolean;
}

/** GET /gateways/:gateway/vip. */
export interface GatewayVip {
  gateway: string;
  /** 0 while no VIP is set. */
  version: number;
  settings: GatewayVipSettings | null;
  /** The node that holds the VIP (reported MASTER), or null. */
  vipHolder: string | null;
  /** More than one node reports MASTER (split brain: adverts do not reach each other). */
  splitBrain: boolean;
  nodes: GatewayVipNodeState[];
  updatedAt: string | null;
  updatedBy: string | null;
}

/** What an agent reports from the notify script's state file. */
export const gatewayAgentVrrpRequestSchema = z
  .object({
    instance: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/),
    state: z.enum(['MASTER', 'BACKUP', 'FAULT', 'STOP', 'DELETED']),
    priority: z.number().int().min(0).max(255),
    at: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
  })
  .strict();
