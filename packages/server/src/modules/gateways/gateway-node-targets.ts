import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';

/**
 * The Prometheus targets of the agent nodes' metrics listeners (docs/monitoring.md, "Scraping"):
 * one file_sd file per node, `<targets/gateways>/<gateway>.<node>.json` (names are labels, so the
 * dot cannot be part of either), labels `gateway` and `node`. The files are the state: a report
 * writes the node's file when its address changed, a removed node or gateway takes its files
 * away, and the start prunes the files of nodes that are gone. `local.json` (the local node,
 * supervisor/helpers.ts) is never touched here.
 */
export class GatewayNodeTargets {
  constructor(
    /** The monitoring stack's `targets/gateways` directory. */
    private readonly dir: string,
    /** The local node's metrics listener (its target is local.json), when Berth runs one. */
    private readonly localMetrics: string | null,
    private readonly log: FastifyBaseLogger,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private file(gateway: string, node: string): string {
    return path.join(this.dir, `${gateway}.${node}.json`);
  }

  /** The address a target file scrapes, or null when it has none (or cannot be read). */
  private targetOf(file: string): string | null {
    try {
      const t = (JSON.parse(readFileSync(file, 'utf8')) as Array<{ targets?: string[] }>)[0]?.targets?.[0];
      return typeof t === 'string' ? t : null;
    } catch {
      return null;
    }
  }

  /**
   * Keeps the node's target file at `address` (none: removed). `fromLoopback`: the node's report
   * came over loopback, i.e. the agent runs on this machine. A loopback address of an agent on
   * another machine is its own loopback, which Prometheus here cannot reach (and would be this
   * machine's), and an address another target scrapes already would count its requests twice:
   * neither is written. Returns why not, or null.
   */
  sync(gateway: string, node: string, address: string | null, fromLoopback: boolean): string | null {
    const file = this.file(gateway, node);
    const why = address === null ? null : this.refusal(file, address, fromLoopback);
    if (address === null || why) {
      rmSync(file, { force: true });
      if (why) this.log.warn({ gateway, node, address }, `gateway node metrics not scraped: ${why}`);
      return why;
    }
    const text = `${JSON.stringify([{ targets: [address], labels: { gateway, node } }])}\n`;
    if (this.targetOf(file) === address) return null;
    // Prometheus watches the directory: a half-written file must never be there under its name
    const tmp = `${file}.next`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    return null;
  }

  private refusal(file: string, address: string, fromLoopback: boolean): string | null {
    const host = address.slice(0, address.lastIndexOf(':'));
    if (!fromLoopback && (/^127\./.test(host) || host === 'localhost'))
      return `${address} is on the node's own loopback, which Prometheus on Berth's machine cannot reach; give the agent --metrics-listen with an address of the node Prometheus reaches`;
    if (address === this.localMetrics)
      return `${address} is the local node's metrics listener (targets/gateways/local.json)`;
    for (const other of readdirSync(this.dir)) {
      const f = path.join(this.dir, other);
      if (!other.endsWith('.json') || f === file) continue;
      if (this.targetOf(f) === address) return `${address} is scraped already by ${other}`;
    }
    return null;
  }

  /** Removes the target of a node (removed) or of every node of a gateway (node null: deleted). */
  remove(gateway: string, node: string | null): void {
    if (node !== null) {
      rmSync(this.file(gateway, node), { force: true });
      return;
    }
    for (const f of readdirSync(this.dir))
      if (f.startsWith(`${gateway}.`) && f.endsWith('.json')) rmSync(path.join(this.dir, f), { force: true });
  }

  /** Removes the files of nodes that no longer exist (`keep`: `<gateway>.<node>` of every node). */
  prune(keep: ReadonlySet<string>): void {
    for (const f of readdirSync(this.dir)) {
      const m = /^([a-z0-9-]+\.[a-z0-9-]+)\.json$/.exec(f);
      if (m && !keep.has(m[1]!)) rmSync(path.join(this.dir, f), { force: true });
    }
  }
}
