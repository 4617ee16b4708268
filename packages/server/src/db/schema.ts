/**
 * Kysely table types. Timestamps are RFC 3339 UTC strings and JSON columns are text on both
 * SQLite and PostgreSQL, so one set of queries serves both dialects.
 */

import type { Generated } from 'kysely';

export interface UsersTable {
  name: string;
  display_name: string;
  email: string | null;
  password_hash: string;
  disabled: number;
  created_at: string;
  updated_at: string;
  created_by: string;
  version: number;
}

export interface SessionsTable {
  /** sha256 of the session secret. */
  id: string;
  user_name: string;
  csrf_token: string;
  created_at: string;
  expires_at: string;
  source_ip: string;
}

export interface ApiTokensTable {
  id: string;
  user_name: string;
  name: string;
  prefix: string;
  token_hash: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

export interface TeamsTable {
  name: string;
  display_name: string;
  created_at: string;
  updated_at: string;
  created_by: string;
  version: number;
}

export interface ProjectsTable {
  name: string;
  team: string;
  display_name: string;
  created_at: string;
  updated_at: string;
  created_by: string;
  version: number;
}

export interface EnvironmentsTable {
  name: string;
  display_name: string;
  created_at: string;
  /** JSON array of cluster names (migration 0013); default ["local"]. */
  clusters: Generated<string>;
  failover_grace_seconds: Generated<number>;
}

export interface RoleBindingsTable {
  id: string;
  user_name: string;
  role: string;
  scope_kind: string;
  scope_name: string;
  created_at: string;
  created_by: string;
}

export interface AuditEventsTable {
  id: string;
  at: string;
  actor: string;
  action: string;
  target_kind: string;
  target: string;
  project: string | null;
  request: string | null;
  result: string;
  status_code: number;
  source_ip: string;
  message: string | null;
}

export interface LoginAttemptsTable {
  key: string;
  window_start: string;
  failures: number;
}

export interface ServicesTable {
  id: string;
  project: string;
  env: string;
  name: string;
  display_name: string;
  replicas: number;
  stopped: number;
  /** The release the controller converges to. */
  release: number;
  stable_release: number | null;
  status: string;
  ready_replicas: number;
  message: string | null;
  /** Bumped by every desired-state change; the controller compares it to skip idle work. */
  generation: number;
  /** When set, the current rollout is tracked by this task. */
  rollout_task: string | null;
  rollout_started_at: string | null;
  restart_nonce: number;
  deleting: number;
  created_at: string;
  updated_at: string;
  created_by: string;
  updated_by: string;
  version: number;
}

export interface ReleasesTable {
  service_id: string;
  number: number;
  /** JSON of ReleaseSpec with secret values encrypted. */
  spec: string;
  image_digest: string | null;
  reason: string | null;
  state: string;
  created_at: string;
  created_by: string;
}

export interface ContainersTable {
  /** Berth's name for the container; also the engine container name. */
  name: string;
  service_id: string;
  release: number;
  /** The service's restart generation when the container was made (rolling restarts). */
  restart_nonce: number;
  engine_id: string | null;
  cluster: string;
  node: string;
  ip: string | null;
  endpoints: string;
  image: string;
  image_digest: string | null;
  state: string;
  ready: number;
  in_rotation: number;
  restarts: number;
  created_at: string;
  started_at: string | null;
  stopped_at: string | null;
  /** While draining: when the container may be stopped (null until every gateway node confirmed). */
  drain_until: string | null;
  /** When the container left rotation (migration 0012); null for rows drained before it. */
  left_rotation_at: string | null;
  /** The drain period to wait once the removal is confirmed. */
  drain_seconds: number | null;
  /** JSON {gatewayId: first revision without the container}. */
  drain_gates: string | null;
  /** When every gateway node confirmed the removal (or the confirmation bound was hit). */
  removed_from_gateways_at: string | null;
  exit_code: number | null;
  exit_reason: string | null;
}

export interface EventsTable {
  id: string;
  at: string;
  service_id: string;
  container: string | null;
  type: string;
  severity: string;
  message: string;
  /** Null: Berth's own; `kubernetes`: a core Event of the cluster (migration 0033). */
  source?: string | null;
  /** The cluster object a Kubernetes event is about, `Kind/name`. */
  object?: string | null;
  /** How many times a Kubernetes event happened. */
  count?: number | null;
  /** `<cluster>/<namespace>/<event name>`: the same Kubernetes event seen again. */
  source_key?: string | null;
}

export interface StatsSamplesTable {
  container: string;
  service_id: string;
  at: string;
  cpu_percent: number;
  memory_bytes: number;
  memory_limit_bytes: number;
  net_rx_bytes: number;
  net_tx_bytes: number;
  block_read_bytes: number;
  block_write_bytes: number;
}

export interface TasksTable {
  id: string;
  kind: string;
  target: string;
  service_id: string | null;
  state: string;
  progress_done: number;
  progress_total: number;
  progress_message: string;
  created_at: string;
  created_by: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
}

export interface TaskLogsTable {
  task_id: string;
  seq: number;
  at: string;
  line: string;
}

export interface ShellSessionsTable {
  id: string;
  actor: string;
  service_id: string;
  container: string;
  user: string;
  started_at: string;
  ended_at: string | null;
  exit_code: number | null;
  /** Recorded input lines and output, JSON lines of {t, dir, data}. */
  recording: string;
}

/** A debug container and its one shell (docs/debug.md). */
export interface DebugSessionsTable {
  id: string;
  service_id: string;
  /** The target container's name (its ledger row). */
  target: string;
  /** The debug container's name in the engine. */
  name: string;
  cluster: string;
  engine_id: string | null;
  image: string;
  user: string;
  actor: string;
  created_at: string;
  expires_at: string;
  attached_at: string | null;
  /** Last heartbeat of the process holding its shell. */
  seen_at: string | null;
  /** The shell_sessions row of its shell, once one was opened. */
  shell_session: string | null;
  ended_at: string | null;
  /** shell-exited, shell-lost, never-attached, expired, stopped, target-gone or failed. */
  end_reason: string | null;
}

export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: string;
}

export interface IdempotencyKeysTable {
  key: string;
  actor: string;
  status_code: number;
  body: string;
  created_at: string;
}

export interface GatewaysTable {
  id: string;
  name: string;
  env: string;
  listen: string;
  tls_listen: string | null;
  domain_suffix: string;
  /** Number of the configuration version the node runs. */
  applied_version: number;
  /** Highest version number used (applied or failed). */
  last_version: number;
  created_at: string;
  updated_at: string;
  created_by: string;
  version: number;
}

export interface GatewayRoutesTable {
  id: string;
  project: string;
  env: string;
  name: string;
  host: string;
  path_prefix: string;
  /** JSON of RouteSpec. */
  spec: string;
  /** JSON of Canary, or null. */
  canary: string | null;
  created_at: string;
  updated_at: string;
  created_by: string;
  updated_by: string;
  version: number;
}

export interface GatewayVersionsTable {
  gateway_id: string;
  number: number;
  /** "config" (main + endpoints files) or "endpoints" (only the endpoints file changed). */
  kind: string;
  author: string;
  reason: string;
  created_at: string;
  state: string;
  error: string | null;
  /** Rendered main file; null for endpoints versions. */
  main_text: string | null;
  /** Rendered endpoints file; null for endpoints versions (their diff holds the change). */
  upstreams_text: string | null;
  /** JSON of the env's routes at this version (config versions): what a rollback restores. */
  routes_snapshot: string | null;
  diff: string;
}

/** A DNS zone owned by a team or a project (migration 0007). */
export interface DomainZonesTable {
  /** Normalised: lowercase, no trailing dot. */
  zone: string;
  /** "team" or "project". */
  owner_kind: string;
  owner_name: string;
  created_at: string;
  created_by: string;
}

/** A network a team's or project's route VM backends may use (migration 0007). */
export interface AllowedNetworksTable {
  id: string;
  /** Canonical IPv4 CIDR, e.g. 10.20.0.0/16. */
  cidr: string;
  owner_kind: string;
  owner_name: string;
  created_at: string;
  created_by: string;
}

/** A project's quota; null = unlimited (limits) or none (defaults). CPU in millicores. */
export interface ProjectQuotasTable {
  project: string;
  cpu_millis: number | null;
  memory_mib: number | null;
  replicas: number | null;
  volumes_gib: number | null;
  default_cpu_millis: number | null;
  default_memory_mib: number | null;
  updated_at: string;
  updated_by: string;
  version: number;
}

/** A registry a platform admin assigned to a team or project (migration 0010). */
export interface RegistryAssignmentsTable {
  registry: string;
  owner_kind: 'team' | 'project';
  owner_name: string;
  created_at: string;
  created_by: string;
}

/** A repository of a registry every authenticated user may pull and run (migration 0010). */
export interface RegistryPublicRepositoriesTable {
  registry: string;
  repository: string;
  created_at: string;
  created_by: string;
}

/** A certificate of a project's store (migration 0008); the key is sealed (secret-box). */
export interface CertificatesTable {
  id: string;
  project: string;
  name: string;
  /** The PEM chain, leaf first, as re-encoded by Berth (certificates only). */
  certificate: string;
  /** The private key, sealed with the data dir's secret box; never returned. */
  key_sealed: string;
  /** SHA-256 of the leaf, colon-separated hex. */
  fingerprint: string;
  subject: string;
  issuer: string;
  /** JSON array of the leaf's DNS names. */
  sans: string;
  chain_length: number;
  not_before: string;
  not_after: string;
  created_at: string;
  updated_at: string;
  created_by: string;
  updated_by: string;
  version: number;
}

/** Services whose replicas are moving between clusters (migration 0016); JSON columns. */
export interface PlacementMovesTable {
  project: string;
  env: string;
  service: string;
  /** Replicas wanted per cluster. */
  targets: string;
  /** Live replicas of the current release per cluster. */
  current: string;
  /** Clusters failed over (unreachable past the grace). */
  failed_over: string;
  notes: string;
  unplaced: number;
  /** When the service started moving. */
  since: string;
  updated_at: string;
}

/** Clusters (migration 0013): where Berth runs containers; credentials sealed. */
export interface ClustersTable {
  name: string;
  kind: string;
  endpoint: string;
  credentials_sealed: string | null;
  /** JSON object of labels. */
  labels: string;
  built_in: number;
  cordoned: number;
  draining: number;
  state: string;
  message: string | null;
  latency_ms: number | null;
  /** JSON ClusterCapacity, null until the first check. */
  capacity: string | null;
  last_checked_at: string | null;
  /** When `state` last changed (migration 0014); null: not since the fleet controller came. */
  state_since: string | null;
  /** The host address container ports are published on (migration 0015). */
  publish_address: string;
  /** How the cluster reaches the embedded registry, host[:port]; null: its own listen address. */
  registry_address: string | null;
  /** JSON ClusterRegistryCheck, the last check of that address (migration 0017); null: none. */
  registry_check: string | null;
  /** Kubernetes: `pod-ip` or `node-port`, how gateways reach its pods (migration 0028); null: podman. */
  exposure: string | null;
  /** Kubernetes: JSON array of gateway CIDRs its NetworkPolicies let in (migration 0028); null: none. */
  gateway_cidrs: string | null;
  /** The engine version the last check read (migration 0028); null: not read yet. */
  engine_version: string | null;
  /** Kubernetes: the prefix of its namespaces (migration 0029); null: none. */
  namespace_prefix: string | null;
  created_at: string;
  updated_at: string;
  created_by: string;
  version: number;
}

/** State changes of clusters and admins' cordon/drain (migration 0013). */
export interface ClusterEventsTable {
  id: string;
  cluster: string;
  at: string;
  type: string;
  from_state: string | null;
  to_state: string | null;
  message: string;
}

/** Ports of an env assigned to a project for TCP/UDP entry points (migration 0019). */
export interface EntryPortsTable {
  env: string;
  protocol: string;
  port: number;
  project: string;
  created_by: string;
  created_at: string;
}

/** A TCP/UDP entry point: an assigned port → a service port (migration 0019). */
export interface EntryPointsTable {
  env: string;
  protocol: string;
  port: number;
  project: string;
  service_name: string;
  service_port: number;
  max_fails: number;
  fail_timeout_seconds: number;
  connect_timeout_seconds: number | null;
  timeout_seconds: number | null;
  udp_responses: number | null;
  version: number;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** The virtual IP of a gateway (migration 0020): JSON GatewayVipRequest without its version. */
export interface GatewayVipsTable {
  gateway_id: string;
  settings: string;
  version: number;
  updated_at: string;
  updated_by: string;
}

/** The VRRP state a gateway node's agent last reported (migration 0020). */
export interface GatewayVrrpStatesTable {
  node_id: string;
  gateway_id: string;
  instance: string;
  state: string;
  priority: number;
  at: string;
  reported_at: string;
}

/** The entry points a gateway configuration version was planned with (migration 0021). */
export interface GatewayEntryPointSnapshotsTable {
  gateway_id: string;
  number: number;
  /** JSON: PlannedEntryPoint[]. */
  entry_points: string;
}

/** The VIP settings a gateway configuration version was applied with (migration 0027). */
export interface GatewayVipSnapshotsTable {
  gateway_id: string;
  number: number;
  /** gateway_vips.settings then; null: no VIP. */
  settings: string | null;
}

/** A volume class (migration 0023, docs/volumes.md); mount_options is a JSON array. */
export interface VolumeClassesTable {
  name: string;
  kind: string;
  description: string;
  server: string | null;
  path: string | null;
  mount_options: string;
  max_size_mib: number;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

/** A volume of a project's environment (migration 0023); cluster is null for shared classes. */
export interface VolumesTable {
  id: string;
  project: string;
  env: string;
  name: string;
  class: string;
  size_mib: number;
  size_enforced: number;
  size_note: string | null;
  cluster: string | null;
  engine_name: string;
  created_at: string;
  created_by: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  teams: TeamsTable;
  projects: ProjectsTable;
  environments: EnvironmentsTable;
  role_bindings: RoleBindingsTable;
  audit_events: AuditEventsTable;
  login_attempts: LoginAttemptsTable;
  services: ServicesTable;
  releases: ReleasesTable;
  containers: ContainersTable;
  events: EventsTable;
  stats_samples: StatsSamplesTable;
  tasks: TasksTable;
  task_logs: TaskLogsTable;
  shell_sessions: ShellSessionsTable;
  debug_sessions: DebugSessionsTable;
  leases: LeasesTable;
  idempotency_keys: IdempotencyKeysTable;
  gateways: GatewaysTable;
  gateway_routes: GatewayRoutesTable;
  gateway_versions: GatewayVersionsTable;
  domain_zones: DomainZonesTable;
  allowed_networks: AllowedNetworksTable;
  certificates: CertificatesTable;
  project_quotas: ProjectQuotasTable;
  configs: ConfigsTable;
  config_versions: ConfigVersionsTable;
  config_pins: ConfigPinsTable;
  registry_assignments: RegistryAssignmentsTable;
  registry_public_repositories: RegistryPublicRepositoriesTable;
  clusters: ClustersTable;
  placement_moves: PlacementMovesTable;
  cluster_events: ClusterEventsTable;
  entry_ports: EntryPortsTable;
  entry_points: EntryPointsTable;
  gateway_entry_point_snapshots: GatewayEntryPointSnapshotsTable;
  gateway_vip_snapshots: GatewayVipSnapshotsTable;
  gateway_vips: GatewayVipsTable;
  gateway_vrrp_states: GatewayVrrpStatesTable;
  volume_classes: VolumeClassesTable;
  volumes: VolumesTable;
  cronjobs: CronJobsTable;
  cronjob_runs: CronJobRunsTable;
  cronjob_attempts: CronJobAttemptsTable;
  cronjob_events: CronJobEventsTable;
  alert_rules: AlertRulesTable;
  probes: ProbesTable;
  alert_rule_versions: AlertRuleVersionsTable;
  alert_channels: AlertChannelsTable;
  alerts: AlertsTable;
  alert_deliveries: AlertDeliveriesTable;
  alert_delivery_alerts: AlertDeliveryAlertsTable;
  alert_delivery_attempts: AlertDeliveryAttemptsTable;
  service_autoscalers: ServiceAutoscalersTable;
  autoscale_decisions: AutoscaleDecisionsTable;
  app_instances: AppInstancesTable;
}

/** An alert rule of a project environment (migration 0030, docs/alert-rules.md); JSON columns. */
export interface AlertRulesTable {
  id: string;
  project: string;
  env: string;
  name: string;
  template: string;
  scope: string;
  threshold: number | null;
  for_duration: string;
  window_duration: string | null;
  quantile: number | null;
  severity: string;
  labels: string;
  channels: string;
  enabled: number;
  summary: string | null;
  description: string | null;
  promql: string | null;
  /** Why Berth disabled the rule (its container is gone), else null. */
  ended_reason: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

/** One version of an environment's rule file (migration 0030): the rules as JSON and the file. */
export interface AlertRuleVersionsTable {
  project: string;
  env: string;
  number: number;
  author: string;
  reason: string;
  created_at: string;
  rolled_back_from: number | null;
  rules_snapshot: string;
  file_text: string;
  diff: string;
}

/** A config of a project (migration 0022, docs/configs.md); `version` is the current one. */
export interface ConfigsTable {
  id: string;
  project: string;
  name: string;
  description: string;
  version: number;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

/** One version of a config: its files as JSON (path → content). */
export interface ConfigVersionsTable {
  config_id: string;
  number: number;
  files: string;
  reason: string;
  rolled_back_from: number | null;
  created_at: string;
  created_by: string;
}

/** The config version a config mount (by path) of a service release runs. */
export interface ConfigPinsTable {
  service_id: string;
  release: number;
  path: string;
  config_id: string;
  version: number;
}

/** A cron job (migration 0024, docs/cronjobs.md); spec is JSON with sealed secrets. */
export interface CronJobsTable {
  id: string;
  project: string;
  env: string;
  name: string;
  display_name: string;
  spec: string;
  /** The latest scheduled time recorded (a run row or a skip/miss written for it). */
  last_scheduled_at: string | null;
  deleting: Generated<number>;
  created_at: string;
  updated_at: string;
  created_by: string;
  updated_by: string;
  version: number;
}

export interface CronJobRunsTable {
  id: string;
  cronjob_id: string;
  trigger: string;
  /** Unique per job: a scheduled time is recorded once. Null for runs started by hand. */
  scheduled_at: string | null;
  state: string;
  message: string | null;
  cluster: string;
  created_at: string;
  created_by: string;
  started_at: string | null;
  finished_at: string | null;
  next_attempt_at: string | null;
}

export interface CronJobAttemptsTable {
  run_id: string;
  number: number;
  container: string;
  engine_id: string | null;
  cluster: string;
  state: string;
  exit_code: number | null;
  exit_reason: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  log_bytes: number | null;
}

export interface CronJobEventsTable {
  id: string;
  cronjob_id: string;
  run_id: string | null;
  type: string;
  message: string;
  severity: string;
  at: string;
}

/** An alert channel of a project (migration 0031, docs/monitoring.md); secrets is sealed JSON. */
export interface AlertChannelsTable {
  id: string;
  project: string;
  name: string;
  kind: string;
  description: string;
  rate_limit_per_minute: number;
  settings: string;
  secrets: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

/** One firing of an alert (Alertmanager's fingerprint + startsAt), firing or resolved. */
export interface AlertsTable {
  id: string;
  project: string;
  env: string;
  rule: string;
  rule_name: string;
  severity: string;
  fingerprint: string;
  state: string;
  labels: string;
  annotations: string;
  starts_at: string;
  ends_at: string | null;
  created_at: string;
  updated_at: string;
}

/** One notification to one channel, with its retry state (state in the store survives restarts). */
export interface AlertDeliveriesTable {
  id: string;
  project: string;
  channel_id: string;
  channel: string;
  kind: string;
  reason: string;
  status: string;
  message: string;
  state: string;
  attempts: number;
  next_attempt_at: string | null;
  claimed_until: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface AlertDeliveryAlertsTable {
  delivery_id: string;
  alert_id: string;
}

export interface AlertDeliveryAttemptsTable {
  delivery_id: string;
  number: number;
  ok: number;
  code: number | null;
  detail: string;
  duration_ms: number;
  at: string;
}

/** An autoscaled service (migration 0032, docs/autoscaling.md): its settings as JSON. */
export interface ServiceAutoscalersTable {
  service_id: string;
  spec: string;
  updated_at: string;
  updated_by: string;
  /** While metrics are missing: since when and why the autoscaler holds (one event per outage). */
  held_since: string | null;
  held_reason: string | null;
}

/** One pass of the autoscaler; `detail` is JSON (formula, limit, per-container inputs). */
export interface AutoscaleDecisionsTable {
  id: string;
  service_id: string;
  at: string;
  outcome: string;
  current_replicas: number;
  raw_recommendation: number | null;
  stabilized_recommendation: number | null;
  desired_replicas: number;
  metric_value: number | null;
  target: number;
  reason: string;
  detail: string;
}

/** A site monitoring probe (migration 0034, docs/probes.md). */
export interface ProbesTable {
  id: string;
  project: string;
  env: string;
  name: string;
  /** http | tcp */
  kind: string;
  /** The URL (http) or HOST:PORT (tcp). */
  target: string;
  expect_status: string | null;
  body_must_match: string | null;
  body_must_not_match: string | null;
  latency_threshold_ms: number | null;
  interval_seconds: number;
  /** 0 or 1. */
  enabled: number;
  /** The alert rule made with the probe, or null. */
  alert_rule: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

/** An app store instance (migration 0035, docs/apps.md); JSON columns. */
export interface AppInstancesTable {
  id: string;
  project: string;
  env: string;
  name: string;
  app: string;
  version: string;
  /** The parameters, defaults filled in (JSON object). */
  params: string;
  /** Names of the services, volumes and configs it made (JSON arrays). */
  services: string;
  volumes: string;
  configs: string;
  /** The generated secrets, a JSON object sealed with the data dir's key. */
  secrets_sealed: string;
  password_set_at: string;
  /** 1 while its services are being removed. */
  deleting: number;
  /** 1: the deletion keeps the volumes. */
  keep_volumes: number;
  /** The running or last upgrade (JSON AppInstanceUpgrade, migration 0036), null when never upgraded. */
  upgrade: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
}
