import type { GatewayConfirmation, GatewayView } from './controller/rollout-drain';

/** One open `…/endpoints?follow=true` stream, as the drain confirmation sees it. */
export interface EndpointWatcher {
  /** Records that a list was written to the stream (the addresses it holds). */
  published(addresses: readonly string[]): void;
  /** The stream closed: it no longer holds up any drain. */
  close(): void;
}

interface Entry {
  id: string;
  env: string;
  /** How many lists were written; 0: none yet. */
  sent: number;
  addresses: ReadonlySet<string>;
}

/**
 * The open endpoint watches, offered to the drain confirmation as gateways of one node each: a
 * container leaving rotation is not stopped until every open watch of its environment has been
 * written a list without it (or the confirmation bound is hit), and its drain period counts from
 * then. A client fed by the watch therefore never loses a request to server-side lag, however
 * busy the machine. Watches on other Berth instances are not seen (docs/gateway.md).
 */
export class EndpointWatchers implements GatewayConfirmation {
  private readonly open = new Map<string, Entry>();
  private readonly listeners = new Set<() => void>();
  private seq = 0;

  watch(env: string): EndpointWatcher {
    this.seq += 1;
    const entry: Entry = { id: `watch:${this.seq}`, env, sent: 0, addresses: new Set() };
    this.open.set(entry.id, entry);
    return {
      published: (addresses) => {
        entry.sent += 1;
        entry.addresses = new Set(addresses);
        this.changed();
      },
      close: () => {
        if (this.open.delete(entry.id)) this.changed();
      },
    };
  }

  /** How many watches are open (for tests and metrics). */
  get size(): number {
    return this.open.size;
  }

  views(env: string): Promise<GatewayView[]> {
    const out: GatewayView[] = [];
    for (const e of this.open.values()) {
      if (e.env !== env) continue;
      const revision = e.sent > 0 ? e.sent : null;
      out.push({
        id: e.id,
        name: `endpoints ${e.id}`,
        installedRevision: revision,
        installedAddresses: e.addresses,
        nodes: [{ name: 'stream', appliedRevision: revision, online: true }],
      });
    }
    return Promise.resolve(out);
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}
