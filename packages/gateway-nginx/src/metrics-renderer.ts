import { createHash } from 'node:crypto';
import { address, hostname } from './nginx-syntax';
import { RenderError, type RenderGateway, type RenderRoute, type RouteMetricLabels } from './render-model';

/*
 * Gateway metrics (docs/monitoring.md, "Gateway metrics"): every request a route serves counts in
 * a shared dict (log_by_lua, after the answer), by route and status class, with a latency
 * histogram; a loopback-only listener of the node serves them in Prometheus' text format:
 *   berth_gateway_requests_total{project,env,service,route,status_class="1xx".."5xx",node}
 *   berth_gateway_request_duration_seconds_bucket{project,env,service,route,node,le} (+ _sum, _count)
 * `node` is the machine's host name ($hostname): one configuration serves every node of a gateway.
 * The counters are keyed by a hash of the route's labels, so they survive reloads (shared dicts
 * do) and a route that comes back continues its series. Needs the Lua module (luaModuleLines:
 * dynamicMainConfig loads it).
 */

/** Seconds: the upper bounds of the latency histogram's buckets (Prometheus' defaults). */
export const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** The stable key of a route's counters (12 hex digits of the labels' hash). */
export function routeMetricKey(l: RouteMetricLabels): string {
  return createHash('sha256')
    .update(`${l.project}\n${l.env}\n${l.service}\n${l.route}`)
    .digest('hex')
    .slice(0, 12);
}

/** A label value in Prometheus' text format (\\, " and newline escaped). */
function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A Lua string literal of any text: every byte outside a plain set as a decimal escape. */
export function luaString(v: string): string {
  let out = '"';
  for (const b of Buffer.from(v, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9 ._/:*=,-]/.test(c) ? c : `\\${b.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}

/**
 * Why HOST:PORT cannot be a node's own metrics listener (agent `--metrics-listen`, the address it
 * reports to Berth as its Prometheus target), or null. Any one IPv4 address Prometheus reaches is
 * fine; an unspecified one (0.0.0.0) is refused: it would serve every route's counters on every
 * interface, and it names no address Berth could write as the node's target. A host name is
 * refused too: Berth keeps routes, probes and alert channels from the listener by its address
 * (the backend fence compares addresses), which a name does not give.
 */
export function metricsListenProblem(v: string): string | null {
  const m = /^([a-z0-9.-]{1,253}):(\d{1,5})$/.exec(v);
  if (!m) return 'must be HOST:PORT such as 10.0.0.5:7082 (an address of this node Prometheus reaches)';
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(m[1]!))
    return `must be an IPv4 address and port such as 10.0.0.5:7082, not the name ${m[1]} (Berth keeps tenants' routes from the listener by its address)`;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return 'must have a port from 1 to 65535';
  if (/^0+(\.0+){0,3}$/.test(m[1]!))
    return `must name one address of the node, not ${m[1]} (unspecified: every interface would serve the metrics, and Prometheus needs one address to scrape)`;
  return null;
}

/** The variable a dedicated location sets to its route's key. */
export const metricRouteVariable = '$berth_metric_route';

/** The `set` line of a route's location (dedicated servers); none without labels or a metrics listener. */
export function metricSetLine(g: RenderGateway, r: RenderRoute, indent: string): string[] {
  return g.metrics && r.metrics ? [`${indent}set ${metricRouteVariable} ${routeMetricKey(r.metrics)};`] : [];
}

const logPhase = [
  '  log_by_lua_block {',
  '    local k = ngx.var.berth_metric_route',
  '    if k == nil or k == "" then k = ngx.var.berth_metric_host_route end',
  '    if k == nil or k == "" then return end',
  '    local c = math.floor(ngx.status / 100)',
  '    if c < 1 or c > 5 then return end',
  '    local d = ngx.shared.berth_metrics',
  '    d:incr(k .. " c" .. c, 1, 0)',
  '    local t = tonumber(ngx.var.request_time) or 0',
  '    d:incr(k .. " s", t, 0)',
  '    d:incr(k .. " n", 1, 0)',
  `    local b = { ${latencyBuckets.join(', ')} }`,
  '    for i = 1, #b do',
  '      if t <= b[i] then d:incr(k .. " b" .. i, 1, 0) return end',
  '    end',
  '  }',
];

/**
 * The exporter's line naming the node (its host name). An agent node replaces it with its name at
 * Berth (nodeMetricsLine), so its series carry the same `node` as its Prometheus target even when
 * several nodes share a machine.
 */
export const hostnameNodeLine = '      local node = ngx.var.hostname';

/** The exporter's node line naming `node` (a label: letters, digits and -). */
export function nodeMetricsLine(node: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(node))
    throw new Error(`bad node name ${JSON.stringify(node).slice(0, 80)}`);
  return `      local node = "${node}"`;
}

function exporter(): string[] {
  return [
    '      local d = ngx.shared.berth_metrics',
    hostnameNodeLine,
    `      local b = { ${latencyBuckets.map((x) => `"${x}"`).join(', ')} }`,
    '      local out = {',
    '        "# HELP berth_gateway_requests_total Requests a gateway node answered, by route and status class.",',
    '        "# TYPE berth_gateway_requests_total counter",',
    '      }',
    '      local hist = {',
    '        "# HELP berth_gateway_request_duration_seconds Time from the first byte read from the client to the last byte sent.",',
    '        "# TYPE berth_gateway_request_duration_seconds histogram",',
    '      }',
    '      for _, r in ipairs(routes) do',
    '        local k, l = r[1], r[2] .. ",node=\\"" .. node .. "\\""',
    '        local n = d:get(k .. " n")',
    '        if n then',
    '          for c = 1, 5 do',
    '            out[#out + 1] = "berth_gateway_requests_total{" .. l .. ",status_class=\\"" .. c .. "xx\\"} " .. (d:get(k .. " c" .. c) or 0)',
    '          end',
    '          local acc = 0',
    '          for i = 1, #b do',
    '            acc = acc + (d:get(k .. " b" .. i) or 0)',
    '            hist[#hist + 1] = "berth_gateway_request_duration_seconds_bucket{" .. l .. ",le=\\"" .. b[i] .. "\\"} " .. acc',
    '          end',
    '          hist[#hist + 1] = "berth_gateway_request_duration_seconds_bucket{" .. l .. ",le=\\"+Inf\\"} " .. n',
    '          hist[#hist + 1] = "berth_gateway_request_duration_seconds_sum{" .. l .. "} " .. string.format("%.6f", d:get(k .. " s") or 0)',
    '          hist[#hist + 1] = "berth_gateway_request_duration_seconds_count{" .. l .. "} " .. n',
    '        end',
    '      end',
    '      ngx.header["Content-Type"] = "text/plain; version=0.0.4; charset=utf-8"',
    '      ngx.print(table.concat(out, "\\n"), "\\n", table.concat(hist, "\\n"), "\\n")',
  ];
}

/**
 * The http{} lines of a gateway's metrics: the shared dict, the log phase, the `map $host` of the
 * routes of the shared default server (`dedicatedHosts` set their key in their location), and the
 * loopback listener serving /metrics. None when the gateway has no metrics listener.
 */
export function renderMetricsLines(g: RenderGateway, dedicatedHosts: ReadonlySet<string>): string[] {
  if (!g.metrics) return [];
  const listen = address(g.metrics.listen, 'metrics.listen');
  if (!/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost):\d+$/.test(listen))
    throw new RenderError('the metrics listener must be on loopback (127.0.0.0/8)', 'metrics.listen');
  const labelled = g.routes.filter((r): r is RenderRoute & { metrics: RouteMetricLabels } => !!r.metrics);
  const mapLines: string[] = [];
  const seen = new Map<string, string>();
  for (const r of labelled) {
    const key = routeMetricKey(r.metrics);
    if (!seen.has(key))
      seen.set(
        key,
        `project="${labelValue(r.metrics.project)}",env="${labelValue(r.metrics.env)}",service="${labelValue(r.metrics.service)}",route="${labelValue(r.metrics.route)}"`,
      );
    if (!dedicatedHosts.has(r.host)) mapLines.push(`    ${hostname(r.host, 'host')} ${key};`);
  }
  // the route table: chunks of 500 entries, each in a function of its own (LuaJIT's constants)
  const entries = [...seen].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const table: string[] = ['      local routes = {}'];
  for (let i = 0; i < entries.length; i += 500) {
    table.push('      ;(function(t)');
    for (const [key, labels] of entries.slice(i, i + 500))
      table.push(`        t[#t + 1] = { "${key}", ${luaString(labels)} }`);
    table.push('      end)(routes)');
  }
  return [
    '  lua_shared_dict berth_metrics 16m;',
    '  map $host $berth_metric_host_route {',
    '    hostnames;',
    '    default "";',
    ...mapLines,
    '  }',
    ...logPhase,
    '  server {',
    `    listen ${listen};`,
    '    server_name _;',
    '    location = /metrics {',
    '      content_by_lua_block {',
    ...table,
    ...exporter(),
    '      }',
    '    }',
    '    location / { return 404; }',
    '  }',
  ];
}
