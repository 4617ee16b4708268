/**
 * A model of what claims hold, for the tests of volume export, import and usage on Kubernetes
 * (volume-data.ts, docs/kubernetes-testing.md): the test API server mounts nothing, so this exec
 * handler keeps each claim's content as the bytes of the last tar archive extracted into it and
 * answers the three commands the tools pod runs:
 * - `tar -C <dir> -xf -`: reads stdin to its end and keeps it as the content of the claim mounted
 *   at `<dir>` (replacing it: no merge of two archives); stdin that is not a ustar archive ends
 *   with exit 2 and "tar: invalid tar magic" on stderr, as busybox says;
 * - `tar -C <dir> -cf - .`: writes the kept bytes (an empty claim: an empty archive, 1024 zero
 *   bytes);
 * - `du -sk <dir>`: the kept bytes in KiB, rounded up, a tab and the directory.
 * Anything else goes to the default handler. The claim is found from the pod's spec (the volume
 * mounted at `<dir>` and its `persistentVolumeClaim`), so data written through one pod is what
 * another pod of the namespace reads.
 */
import { defaultExecHandler, type ExecContext, type ExecHandler } from './exec';

interface PodSpecView {
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
  containers?: { name: string; volumeMounts?: { name: string; mountPath: string }[] }[];
}

/** The claim mounted at `dir` in the exec's container, as `namespace/claim`; null when none. */
function claimAt(ctx: ExecContext, dir: string): string | null {
  const spec = (ctx.pod.spec ?? {}) as PodSpecView;
  const container = spec.containers?.find((c) => c.name === ctx.container) ?? spec.containers?.[0];
  const mount = container?.volumeMounts?.find((m) => m.mountPath === dir);
  const claim = spec.volumes?.find((v) => v.name === mount?.name)?.persistentVolumeClaim?.claimName;
  return claim ? `${ctx.namespace}/${claim}` : null;
}

/** The exec handler and the claims' content (`namespace/claim` → bytes) tests may read and seed. */
export function claimDataHandler(fallback: ExecHandler = defaultExecHandler): {
  handler: ExecHandler;
  data: Map<string, Buffer>;
} {
  const data = new Map<string, Buffer>();
  const handler: ExecHandler = async (ctx) => {
    const [cmd, ...args] = ctx.command;
    const dirArg = args.indexOf('-C');
    const dir = cmd === 'du' ? args[args.length - 1] : dirArg >= 0 ? args[dirArg + 1] : undefined;
    const claim = dir ? claimAt(ctx, dir) : null;
    if (!claim || (cmd !== 'tar' && cmd !== 'du')) return fallback(ctx);
    if (cmd === 'du') {
      ctx.stdout(`${Math.ceil((data.get(claim)?.length ?? 0) / 1024)}\t${dir}\n`);
      return 0;
    }
    if (args.includes('-xf')) {
      const chunks: Buffer[] = [];
      for await (const c of ctx.stdin) chunks.push(c as Buffer);
      const tar = Buffer.concat(chunks);
      if (tar.length < 512 || tar.toString('latin1', 257, 262) !== 'ustar') {
        ctx.stderr('tar: invalid tar magic\n');
        return 2;
      }
      data.set(claim, tar);
      return 0;
    }
    ctx.stdout(data.get(claim) ?? Buffer.alloc(1024));
    return 0;
  };
  return { handler, data };
}
