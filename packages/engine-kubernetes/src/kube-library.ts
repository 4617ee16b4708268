/**
 * `@kubernetes/client-node`, loaded when Berth first talks to a Kubernetes cluster or checks a
 * kubeconfig, not when the server starts: its ~800 modules cost about 1 s of CPU at every start
 * (2.6 s under tsx, i.e. every test file and CLI run), which a Berth on Podman alone never needs.
 * Only types are imported statically from it anywhere in this package.
 */
import type * as Kube from '@kubernetes/client-node';
import type { WebSocketHandler as KubeWebSocketHandler } from '@kubernetes/client-node/dist/web-socket-handler.js';

export interface KubeLibrary {
  KubeConfig: typeof Kube.KubeConfig;
  WebSocketHandler: typeof KubeWebSocketHandler;
}

let loading: Promise<KubeLibrary> | null = null;

/** The library, imported once (concurrent callers share the import). */
export function kubeLibrary(): Promise<KubeLibrary> {
  loading ??= Promise.all([
    import('@kubernetes/client-node'),
    // Not re-exported by the package's index; its own Exec builds it with process.stdin/stdout as
    // streams, which a server must never have paused or ended by a peer's frame.
    import('@kubernetes/client-node/dist/web-socket-handler.js'),
  ]).then(([k, ws]) => ({ KubeConfig: k.KubeConfig, WebSocketHandler: ws.WebSocketHandler }));
  return loading;
}
