/**
 * Turns Berth's ContainerCreateSpec into a libpod SpecGenerator (the body of
 * `POST /containers/create`).
 */
import type { ContainerCreateSpec } from '@berth/engine-api';

const cpuPeriodMicros = 100_000;
const mib = 1024 * 1024;
/** Size of the writable /tmp a read-only container gets (memory-backed, counted in its memory). */
const readOnlyTmpfsMiB = 64;

/** The subset of libpod's SpecGenerator that Berth sets (JSON names as podman 4.3 reads them). */
export interface SpecGenerator {
  name: string;
  image: string;
  entrypoint?: string[];
  command?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  /** Runs catatonit as PID 1 so SIGTERM reaches the app and stops are prompt (runtime-notes §1). */
  init: boolean;
  user?: string;
  work_dir?: string;
  portmappings: { host_ip: string; host_port: number; container_port: number; protocol: 'tcp' }[];
  resource_limits?: {
    memory?: { limit: number; swap: number };
    cpu?: { quota: number; period: number };
    pids?: { limit: number };
  };
  mounts?: { Type: 'bind' | 'tmpfs'; Source: string; Destination: string; Options: string[] }[];
  /** Named engine volumes (configs, volumes): `ro` for read-only mounts. */
  volumes?: { Name: string; Dest: string; Options: string[] }[];
  cap_drop?: string[];
  cap_add?: string[];
  no_new_privileges?: boolean;
  /** `podman run --read-only`; podman 4.3 then reports HostConfig.ReadonlyRootfs true. */
  read_only_filesystem?: boolean;
  netns?: { nsmode: 'bridge' } | { nsmode: 'container'; value: string };
  /** Another container's PID namespace (debug containers). */
  pidns?: { nsmode: 'container'; value: string };
  /** libpod's PerNetworkOptions: `aliases` are names the network's DNS resolves to this container. */
  Networks?: Record<string, { aliases?: string[] }>;
}

/**
 * `network` overrides the engine's default network (none = podman's default network).
 * A hostPort of 0 is passed through: libpod 4.3 then picks a free port itself, and list and
 * inspect report the port it picked.
 */
export function toSpecGenerator(spec: ContainerCreateSpec, defaultNetwork?: string): SpecGenerator {
  const gen: SpecGenerator = {
    name: spec.name,
    image: spec.image,
    env: spec.env,
    labels: spec.labels,
    init: spec.init ?? true,
    portmappings: spec.ports.map((p) => ({
      host_ip: p.hostIp,
      host_port: p.hostPort,
      container_port: p.containerPort,
      protocol: 'tcp',
    })),
  };
  // Docker semantics: an entrypoint set without a command drops the image's CMD.
  if (spec.command) gen.entrypoint = spec.command;
  if (spec.args) gen.command = spec.args;
  if (spec.user) gen.user = spec.user;
  if (spec.workingDir) gen.work_dir = spec.workingDir;

  const limits: NonNullable<SpecGenerator['resource_limits']> = {};
  if (spec.memoryMiB) {
    const bytes = Math.round(spec.memoryMiB * mib);
    // Swap equal to the limit means no swap at all, so the kernel OOM-kills instead of swapping.
    limits.memory = { limit: bytes, swap: bytes };
  }
  if (spec.cpu) {
    limits.cpu = { quota: Math.max(1000, Math.round(spec.cpu * cpuPeriodMicros)), period: cpuPeriodMicros };
  }
  if (spec.pidsLimit) limits.pids = { limit: spec.pidsLimit };
  if (limits.memory || limits.cpu || limits.pids) gen.resource_limits = limits;
  const caps = spec.unprivileged ? [] : spec.capabilities;
  if (caps) {
    // Drop everything, then add back only the allowlist (podman 4.3 reports the result in
    // EffectiveCaps; HostConfig.CapDrop lists the default capabilities it dropped).
    gen.cap_drop = ['ALL'];
    const add = [...new Set(caps.map((c) => c.toUpperCase().replace(/^CAP_/, '')))];
    if (add.length) gen.cap_add = add.map((c) => `CAP_${c}`);
  }
  if (spec.unprivileged || spec.noNewPrivileges) gen.no_new_privileges = true;
  const mounts: NonNullable<SpecGenerator['mounts']> = (spec.mounts ?? []).map((m) => ({
    Type: 'bind',
    Source: m.source,
    Destination: m.destination,
    Options: ['rbind', m.readOnly ? 'ro' : 'rw'],
  }));
  if (spec.readOnlyRootfs) {
    gen.read_only_filesystem = true;
    // Most programs need somewhere to write temporary files.
    if (!mounts.some((m) => m.Destination === '/tmp'))
      mounts.push({
        Type: 'tmpfs',
        Source: 'tmpfs',
        Destination: '/tmp',
        Options: ['rw', 'nosuid', 'nodev', `size=${readOnlyTmpfsMiB}m`],
      });
  }
  if (mounts.length) gen.mounts = mounts;
  if (spec.volumes?.length)
    gen.volumes = spec.volumes.map((v) => ({
      Name: v.name,
      Dest: v.destination,
      Options: v.readOnly ? ['ro'] : [],
    }));

  if (spec.shareNamespacesOf) {
    // Debug containers: the target's processes and addresses; no init (the PID namespace is
    // the target's, which has its own PID 1), no network or ports of its own.
    gen.netns = { nsmode: 'container', value: spec.shareNamespacesOf };
    gen.pidns = { nsmode: 'container', value: spec.shareNamespacesOf };
    gen.init = false;
    gen.portmappings = [];
    return gen;
  }
  const network = spec.network ?? defaultNetwork;
  if (typeof network === 'string') {
    gen.netns = { nsmode: 'bridge' };
    gen.Networks = { [network]: {} };
  } else if (network) {
    gen.netns = { nsmode: 'bridge' };
    gen.Networks = { [network.name]: network.aliases?.length ? { aliases: network.aliases } : {} };
  }
  return gen;
}
