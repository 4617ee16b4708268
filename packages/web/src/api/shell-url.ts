import { containerPath, type ServiceRef } from './paths';

/** The web shell's WebSocket URL on the page's own origin (the server checks Origin = Host). */
export function shellUrl(ref: ServiceRef, container: string, cols: number, rows: number): string {
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${proto}//${window.location.host}${containerPath(ref, container)}/shell?cols=${cols}&rows=${rows}`;
}
