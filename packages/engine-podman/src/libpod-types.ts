/**
 * The parts of libpod 4.3 JSON that Berth reads. Shapes were checked against real answers of
 * podman 4.3.1; fields Berth does not use are left out.
 */

/** One entry of `GET /containers/json`. */
export interface LibpodListContainer {
  Id: string;
  Names: string[] | null;
  Image: string;
  ImageID: string;
  Labels: Record<string, string> | null;
  /** "created", "running", "paused", "exited", "stopping", ... */
  State: string;
  /** RFC 3339 with nanoseconds. */
  Created: string;
  /** Unix seconds; 0 before the first start. */
  StartedAt: number;
  /** Unix seconds; -62135596800 (year 1) when it never exited. */
  ExitedAt: number;
  Exited: boolean;
  ExitCode: number;
  Networks: string[] | null;
  Ports: LibpodPortMapping[] | null;
}

/** A published port as list entries report it (host_port is the one podman picked for 0). */
export interface LibpodPortMapping {
  host_ip: string;
  container_port: number;
  host_port: number;
  range?: number;
  protocol?: string;
}

/** One network a container is attached to (inspect). */
export interface LibpodNetwork {
  IPAddress?: string;
}

/** `GET /containers/{name}/json`. */
export interface LibpodInspectContainer {
  Id: string;
  Name: string;
  Created: string;
  Image: string;
  ImageName: string;
  ImageDigest?: string;
  State: {
    Status: string;
    Running: boolean;
    Paused: boolean;
    OOMKilled: boolean;
    ExitCode: number;
    StartedAt: string;
    FinishedAt: string;
  };
  Config: { Labels: Record<string, string> | null };
  HostConfig: { Memory?: number };
  NetworkSettings: {
    IPAddress?: string;
    Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks?: Record<string, LibpodNetwork> | null;
  };
}

/** `GET /images/{name}/json`. */
export interface LibpodImage {
  Id: string;
  Digest?: string;
  RepoDigests?: string[] | null;
  User?: string;
  Size?: number;
  Config?: { ExposedPorts?: Record<string, unknown> | null; User?: string };
}

/** One entry of `GET /images/json` (a dangling image has RepoTags null). */
export interface LibpodListImage {
  Id: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  /** Containers of any state created from it, Berth's or not. */
  Containers: number;
  Size: number;
  /** Unix seconds. */
  Created: number;
}

/** The answer of `DELETE /images/{name}` (200): what was untagged and what was deleted. */
export interface LibpodImageRemoval {
  Untagged?: string[] | null;
  Deleted?: string[] | null;
}

/** One sample of `GET /containers/stats?stream=false`. */
export interface LibpodStats {
  ContainerID: string;
  Name: string;
  /** Percent of one core since the previous sample (since start for a one-shot call). */
  CPU: number;
  /** Cumulative CPU time of the container's cgroup, ns. */
  CPUNano: number;
  /** Wall clock of the sample, unix ns; 0 when the container is not running. */
  SystemNano: number;
  MemUsage: number;
  MemLimit: number;
  NetInput: number;
  NetOutput: number;
  BlockInput: number;
  BlockOutput: number;
}

/** The whole answer of a one-shot stats call. */
export interface LibpodStatsReport {
  /** A Go error serialized as `{}` (its message is lost) when a container is missing. */
  Error: unknown;
  Stats: LibpodStats[] | null;
}

/** One line of `GET /events`. */
export interface LibpodEvent {
  Type: string;
  Action: string;
  status?: string;
  id?: string;
  Actor: { ID: string; Attributes: Record<string, string> | null };
  time: number;
  timeNano?: number;
}

/** `GET /exec/{id}/json`. */
export interface LibpodExecInspect {
  ID: string;
  ContainerID: string;
  Running: boolean;
  ExitCode: number;
  /** Host PID of the exec process while it runs. */
  Pid: number;
}

/** One line of the `POST /images/pull` progress stream. */
export interface LibpodPullLine {
  stream?: string;
  error?: string;
  id?: string;
  images?: string[];
}
