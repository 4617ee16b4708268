import { gatewayVipRequestSchema, type GatewayVip, type GatewayVipNodeState } from '@berth/shared';
import { parseInteger } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { validate } from '../errors';
import { formatTime, type Column } from '../output';

/*
 * `berth gateways vip show|set|remove GATEWAY`: the virtual IP of a gateway (docs/gateway.md,
 * "Virtual IP"): keepalived settings, each node's VRRP state and which node holds the VIP.
 */

const vipPath = (name: string) => `/api/v1/gateways/${encodeURIComponent(name)}/vip`;

const nodeColumns: Column<GatewayVipNodeState>[] = [
  { header: 'NODE', value: (n) => n.name },
  { header: 'INTERFACE', value: (n) => n.interface ?? '-' },
  { header: 'PRIORITY', value: (n) => n.priority ?? '-', align: 'right' },
  { header: 'VRRP', value: (n) => n.vrrpState },
  { header: 'VIP', value: (n) => (n.holdsVip ? 'holder' : '') },
  { header: 'SINCE', value: (n) => (n.since ? formatTime(n.since) : '') },
];

function showVip(ctx: CommandContext, v: GatewayVip): number {
  if (ctx.out.json) {
    ctx.out.printJson(v);
    return 0;
  }
  const s = v.settings;
  if (!s) ctx.out.line(`gateway ${v.gateway} has no virtual IP`);
  else {
    ctx.out.line(`address:      ${s.address} (virtual_router_id ${s.virtualRouterId}, version ${v.version})`);
    ctx.out.line(
      `preemption:   ${s.preemption}${s.preemption === 'preempt' && s.preemptDelaySeconds ? ` (delay ${s.preemptDelaySeconds}s)` : ''}`,
    );
    ctx.out.line(
      `check:        every ${s.checkIntervalSeconds}s, fall ${s.checkFall}, rise ${s.checkRise}; adverts every ${s.advertIntervalSeconds}s${s.unicast ? ' (unicast)' : ''}`,
    );
    ctx.out.line(`password:     ${s.authPassSet ? 'set' : 'none'}`);
    ctx.out.line(
      `holder:       ${v.vipHolder ?? 'none reported'}${v.splitBrain ? ' (more than one node reports MASTER: split brain)' : ''}`,
    );
  }
  ctx.out.table(v.nodes, nodeColumns, 'no nodes');
  return 0;
}

const int = (ctx: CommandContext, name: string, min: number, max: number) => {
  const v = ctx.args.string(name);
  return v === undefined ? undefined : parseInteger(v, `--${name}`, min, max);
};

export const gatewayVipCommands: CommandDef[] = [
  {
    name: 'gateways vip',
    usage: 'show|set|remove GATEWAY [options]',
    summary: "a gateway's virtual IP (keepalived): settings, each node's VRRP state and the holder",
    positionals: { min: 2, max: 2 },
    options: [
      { name: 'address', kind: 'string', value: 'IP[/LEN]', description: 'set: the virtual IP' },
      { name: 'vrid', kind: 'string', value: 'N', description: 'set: virtual_router_id, 1-255' },
      {
        name: 'node',
        kind: 'list',
        value: 'NAME:IFACE:PRIORITY[:ADDR]',
        description: 'set: a node taking part (repeat; at least 2)',
      },
      { name: 'auth-pass', kind: 'string', value: 'PASS', description: 'set: 1-8 characters' },
      { name: 'preempt', kind: 'boolean', description: 'set: the highest priority takes the VIP back' },
      { name: 'preempt-delay', kind: 'string', value: 'S', description: 'set: with --preempt, 0-1000 s' },
      { name: 'check-interval', kind: 'string', value: 'S', description: 'set: Nginx check interval' },
      { name: 'fall', kind: 'string', value: 'N', description: 'set: failed checks before FAULT' },
      { name: 'rise', kind: 'string', value: 'N', description: 'set: passed checks before recovery' },
      { name: 'unicast', kind: 'boolean', description: 'set: unicast adverts between the node addresses' },
      { name: 'version', kind: 'string', value: 'N', description: 'the VIP version you read (409 if stale)' },
    ],
    async run(ctx) {
      const action = ctx.arg(0);
      const name = ctx.arg(1);
      const c = await ctx.client();
      if (action === 'show') return showVip(ctx, await c.get<GatewayVip>(vipPath(name)));
      if (action === 'remove') {
        const version = int(ctx, 'version', 1, Number.MAX_SAFE_INTEGER);
        await c.delete(`${vipPath(name)}${version !== undefined ? `?version=${version}` : ''}`);
        if (ctx.out.json) ctx.out.printJson({ removed: name });
        else ctx.out.line(`virtual IP of ${name} removed`);
        return 0;
      }
      if (action !== 'set') throw ctx.usageError(`unknown action "${action}": use show, set or remove`);
      const nodes = ctx.args.list('node').map((spec) => {
        const [n, iface, priority, address] = spec.split(':');
        if (!n || !iface || !priority)
          throw ctx.usageError(`--node ${spec}: write NAME:INTERFACE:PRIORITY[:ADDRESS], e.g. a:eth0:150`);
        return {
          name: n,
          interface: iface,
          priority: parseInteger(priority, `--node ${spec} priority`, 1, 254),
          ...(address ? { address } : {}),
        };
      });
      const body = validate(
        gatewayVipRequestSchema,
        {
          version: int(ctx, 'version', 0, Number.MAX_SAFE_INTEGER),
          address: ctx.args.string('address'),
          virtualRouterId: int(ctx, 'vrid', 1, 255),
          authPass: ctx.args.string('auth-pass'),
          preemption: ctx.args.bool('preempt') ? 'preempt' : 'nopreempt',
          preemptDelaySeconds: int(ctx, 'preempt-delay', 0, 1000),
          checkIntervalSeconds: int(ctx, 'check-interval', 1, 60),
          checkFall: int(ctx, 'fall', 1, 10),
          checkRise: int(ctx, 'rise', 1, 10),
          unicast: ctx.args.bool('unicast') || undefined,
          nodes,
        },
        'virtual IP',
      );
      return showVip(ctx, await c.put<GatewayVip>(vipPath(name), body));
    },
  },
];
