/**
 * Crash-loop back-off per service: after each failure of the wanted revision, new containers
 * wait 1 s, 2 s, 4 s … up to 60 s. A container becoming ready resets it.
 */
export class CrashBackoff {
  private readonly state = new Map<string, { failures: number; until: number }>();

  failed(serviceId: string): void {
    const s = this.state.get(serviceId) ?? { failures: 0, until: 0 };
    s.failures += 1;
    s.until = Date.now() + Math.min(60_000, 1000 * 2 ** (s.failures - 1));
    this.state.set(serviceId, s);
  }

  recovered(serviceId: string): void {
    this.state.delete(serviceId);
  }

  holding(serviceId: string): boolean {
    const s = this.state.get(serviceId);
    return s !== undefined && Date.now() < s.until;
  }

  failures(serviceId: string): number {
    return this.state.get(serviceId)?.failures ?? 0;
  }
}
