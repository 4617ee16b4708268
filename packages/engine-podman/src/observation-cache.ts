/**
 * Turns container list entries into observations. A list entry lacks the IP, memory limit,
 * image digest and OOM flag; those come from one inspect per container and run state
 * (created, running, exited, ...), cached, so a steady-state list is a single API call.
 */
import type { ContainerObservation } from '@berth/engine-api';
import { EngineError } from '@berth/shared';
import type { LibpodClient } from './libpod-client';
import type { LibpodInspectContainer, LibpodListContainer } from './libpod-types';
import { factsFromInspect, type InspectFacts, observationFromList } from './observation';

/** Parallel inspects when many containers are new (a first list after a restart). */
const inspectConcurrency = 8;
/** Entries kept before the ones not seen in a list are dropped. */
const maxEntries = 2048;

const unknownFacts: InspectFacts = {
  ip: null,
  memoryLimitBytes: null,
  imageDigest: null,
  oomKilled: false,
  startedAt: null,
  finishedAt: null,
};

/** Observations from list entries, with inspect facts cached per container and run state. */
export class ObservationCache {
  private readonly facts = new Map<string, { key: string; facts: InspectFacts }>();

  constructor(
    private readonly client: LibpodClient,
    private readonly node: string,
    private readonly network: string | undefined,
  ) {}

  async observe(list: LibpodListContainer[]): Promise<ContainerObservation[]> {
    const out: ContainerObservation[] = new Array<ContainerObservation>(list.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < list.length) {
        const i = next++;
        const c = list[i]!;
        out[i] = observationFromList(c, await this.factsFor(c), this.node);
      }
    };
    await Promise.all(Array.from({ length: Math.min(inspectConcurrency, list.length) }, worker));
    this.prune(list);
    return out;
  }

  /** Drops what is known about a removed container (by id; names are not cached). */
  forget(id: string): void {
    this.facts.delete(id);
  }

  private async factsFor(c: LibpodListContainer): Promise<InspectFacts> {
    const key = `${c.State}/${c.StartedAt}`;
    const hit = this.facts.get(c.Id);
    if (hit?.key === key) return hit.facts;
    const inspected = await this.client
      .json<LibpodInspectContainer>('GET', `/containers/${c.Id}/json`, { accept: [404] })
      .catch((err: unknown) => {
        // libpod answers 500 "no such container" (not 404) when the container is removed while
        // it inspects it (runtime-notes §2): that is the same as removed before
        const cause = err instanceof EngineError ? err.details?.cause : undefined;
        if (typeof cause === 'string' && /no such container/i.test(cause)) return null;
        throw err;
      });
    // Removed between list and inspect: report what the list said, without the extras.
    if (!inspected) return unknownFacts;
    const facts = factsFromInspect(inspected, this.network);
    this.facts.set(c.Id, { key, facts });
    return facts;
  }

  private prune(seen: LibpodListContainer[]): void {
    if (this.facts.size <= maxEntries) return;
    const keep = new Set(seen.map((c) => c.Id));
    for (const id of this.facts.keys()) if (!keep.has(id)) this.facts.delete(id);
  }
}
