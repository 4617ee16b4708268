/**
 * Kafka in KRaft mode (no ZooKeeper): 1 or 3 members `{name}-1..N`, each a combined broker and
 * controller with its own volume. Debian packages no Kafka, so the image comes from the platform's
 * configuration (BERTH_APPS_KAFKA_IMAGE: a mirror of the official apache/kafka image the platform
 * team maintains); it is configured through the image's env conventions (KAFKA_NODE_ID,
 * KAFKA_PROCESS_ROLES, KAFKA_CONTROLLER_QUORUM_VOTERS, …) and runs as its non-root user. The
 * cluster id is generated once at install and kept sealed with the instance.
 */
import { randomBytes } from 'node:crypto';
import {
  instanceLabels,
  num,
  singleWriterRollout,
  storageParameters,
  str,
  type AppTemplate,
  type InstanceInput,
} from './template';

/** Clients (PLAINTEXT) and the controllers' quorum (CONTROLLER). */
const port = 9092;
const controllerPort = 9093;
/** Owned by the image's non-root user (apache/kafka), so a new volume mounted there is writable. */
const dataDir = '/var/lib/kafka/data';

/** Member service names: `{name}-1..N`; the node id of `{name}-i` is i. */
export function kafkaMembers(name: string, members: number): string[] {
  return Array.from({ length: members }, (_x, i) => `${name}-${i + 1}`);
}

/** A KRaft cluster id: 16 random bytes, base64url without padding (22 characters), as kafka-storage makes. */
export function kafkaClusterId(): string {
  return randomBytes(16).toString('base64url');
}

/** The env of member `i` (1-based) of a cluster of `names`: the apache/kafka image's conventions. */
export function kafkaEnv(names: string[], i: number, clusterId: string, heapMiB: number) {
  const member = names[i - 1]!;
  // every member votes: N@host:controllerPort by service name (the env network's aliases)
  const voters = names.map((m, j) => `${j + 1}@${m}:${controllerPort}`).join(',');
  // internal topics replicate to every member up to 3, and need a majority in sync to write
  const replication = Math.min(3, names.length);
  return [
    { name: 'CLUSTER_ID', value: clusterId },
    { name: 'KAFKA_NODE_ID', value: String(i) },
    { name: 'KAFKA_PROCESS_ROLES', value: 'broker,controller' },
    { name: 'KAFKA_CONTROLLER_QUORUM_VOTERS', value: voters },
    { name: 'KAFKA_LISTENERS', value: `PLAINTEXT://:${port},CONTROLLER://:${controllerPort}` },
    { name: 'KAFKA_ADVERTISED_LISTENERS', value: `PLAINTEXT://${member}:${port}` },
    { name: 'KAFKA_CONTROLLER_LISTENER_NAMES', value: 'CONTROLLER' },
    { name: 'KAFKA_INTER_BROKER_LISTENER_NAME', value: 'PLAINTEXT' },
    { name: 'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP', value: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT' },
    { name: 'KAFKA_LOG_DIRS', value: dataDir },
    { name: 'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR', value: String(replication) },
    { name: 'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR', value: String(replication) },
    { name: 'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR', value: String(Math.floor(replication / 2) + 1) },
    { name: 'KAFKA_DEFAULT_REPLICATION_FACTOR', value: String(replication) },
    { name: 'KAFKA_MIN_INSYNC_REPLICAS', value: String(Math.floor(replication / 2) + 1) },
    { name: 'KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS', value: '0' },
    { name: 'KAFKA_HEAP_OPTS', value: `-Xmx${heapMiB}m -Xms${heapMiB}m` },
  ];
}

function objects({ name, params, secrets, image }: InstanceInput) {
  const heap = num(params.heapMiB);
  const names = kafkaMembers(name, Number(params.members));
  return {
    volumes: names.map((m) => ({
      name: `${m}-data`,
      class: str(params.volumeClass),
      sizeMiB: num(params.storageMiB),
    })),
    services: names.map((m, i) => ({
      name: m,
      spec: {
        image: image!,
        env: kafkaEnv(names, i + 1, secrets.clusterId!, heap),
        ports: [{ name: 'kafka', containerPort: port }],
        // the JVM's heap plus its metaspace, threads and page-cache-friendly headroom
        resources: { memoryMiB: heap + Math.max(256, Math.ceil(heap / 2)) },
        readiness: { type: 'tcp' as const, port, periodSeconds: 3 },
        liveness: {
          type: 'tcp' as const,
          port,
          initialDelaySeconds: 60,
          periodSeconds: 10,
          failureThreshold: 6,
        },
        rollout: { ...singleWriterRollout, progressDeadlineSeconds: 300 },
        labels: instanceLabels('kafka', name),
        mounts: [{ volume: `${m}-data`, path: dataDir }],
        replicas: 1,
      },
    })),
  };
}

export const kafkaTemplate: AppTemplate = {
  name: 'kafka',
  title: 'Kafka',
  description: {
    en: 'Event streaming (Apache Kafka, KRaft mode): 1 or 3 combined broker/controller members, each with a volume.',
    'zh-CN':
      '事件流平台（Apache Kafka，KRaft 模式）：1 或 3 个兼任 broker 与 controller 的成员，各有数据卷。',
  },
  latest: '3',
  versions: [
    {
      version: '3',
      // the catalog shows the configured image (BERTH_APPS_KAFKA_IMAGE), or this when none is
      image: '',
      imageSetting: 'BERTH_APPS_KAFKA_IMAGE',
      softwareVersion: 'Apache Kafka 3.7 or later (the configured apache/kafka image)',
      parameters: [
        {
          name: 'members',
          type: 'enum',
          default: '1',
          enum: ['1', '3'],
          description: {
            en: 'Members: 1, or 3 (a quorum that keeps serving with one member down)',
            'zh-CN': '成员数：1，或 3（一个成员停机时仍可服务的仲裁集群）',
          },
        },
        {
          name: 'heapMiB',
          type: 'integer',
          default: 512,
          min: 256,
          max: 32768,
          unit: 'MiB',
          description: {
            en: "Each member's JVM heap; its container gets half more, at least 256 MiB",
            'zh-CN': '每个成员的 JVM 堆大小；容器另加一半，至少 256 MiB',
          },
        },
        ...storageParameters,
      ],
      creates: {
        // the default single member; members=3 adds {name}-2 and {name}-3 (the notes say so)
        services: ['{name}-1'],
        volumes: ['{name}-1-data'],
        configs: [],
        secrets: [],
      },
      connection: {
        service: '{name}-1',
        containerPort: port,
        user: '',
        scheme: 'kafka',
        path: '',
        allMembers: true,
      },
      passwordRotation: false,
      notes: [
        {
          en: 'Members are {name}-1 (and {name}-2, {name}-3 with members=3), each with its volume {name}-N-data.',
          'zh-CN': '成员为 {name}-1（members=3 时另有 {name}-2、{name}-3），各有数据卷 {name}-N-data。',
        },
        {
          en: 'No Debian package: a platform admin names the image (a mirror of apache/kafka 3.7+) in BERTH_APPS_KAFKA_IMAGE; without it, installing answers 422.',
          'zh-CN':
            'Debian 没有 Kafka 软件包：平台管理员通过 BERTH_APPS_KAFKA_IMAGE 指定镜像（apache/kafka 3.7 及以上的镜像副本）；未配置时安装返回 422。',
        },
        {
          en: 'Listeners are PLAINTEXT without authentication, reachable by the environment’s services (bootstrap servers {name}-1:9092,…); members advertise their service names, so clients run inside the environment.',
          'zh-CN':
            '监听器为无认证的 PLAINTEXT，仅环境内的服务可访问（bootstrap servers 为 {name}-1:9092,…）；成员通告的是服务名，因此客户端需运行在环境内。',
        },
      ],
      objects,
      generated: { clusterId: kafkaClusterId },
    },
  ],
};
