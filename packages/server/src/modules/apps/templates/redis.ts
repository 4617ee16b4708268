/**
 * Redis: a primary with a password, a memory limit and an append-only file on a volume, and
 * optionally read replicas following it (`replicas`), every member tuned by the config
 * `{name}-conf`. The image (apps/images/redis, built from Debian's redis-server by
 * scripts/app-images.sh) runs as the package's non-root user and takes its password from
 * REDIS_PASSWORD.
 */
import {
  instanceLabels,
  num,
  singleWriterRollout,
  storageParameters,
  str,
  type AppTemplate,
  type InstanceInput,
  type InstanceService,
} from './template';

const port = 6379;

/** Where the instance's config file is mounted: the image's entry point includes redis.conf from it. */
const confDir = '/etc/berth/redis.d';

/** The first version of `{name}-conf`: comments only, the image's settings and the parameters apply. */
const confFile = `# Extra redis.conf settings of this instance (docs/apps.md, "Config files"), read after the
# image's settings. The template's parameters (maxmemory, maxmemory-policy, appendonly) are set
# after this file and win; change them through the instance. Saving a new version restarts the
# servers (rolling restart). For example:
# maxclients 1000
# slowlog-log-slower-than 10000
`;

function objects({ name, params, secrets }: InstanceInput) {
  const maxmemory = num(params.maxmemoryMiB);
  const replicas = num(params.replicas ?? 0);
  const volume = `${name}-data`;
  const config = `${name}-conf`;
  const memoryArgs = ['--maxmemory', `${maxmemory}mb`, '--maxmemory-policy', str(params.maxmemoryPolicy)];
  // every member takes the same password: clients use one, and a replica authenticates with it
  const password = { name: 'REDIS_PASSWORD', value: secrets.password!, secret: true };
  const common = {
    image: 'localhost/berth-apps/redis:7',
    ports: [{ name: 'redis', containerPort: port }],
    // room for the server itself and copy-on-write during a background save
    resources: { memoryMiB: maxmemory + Math.max(64, Math.ceil(maxmemory / 4)) },
    readiness: { type: 'tcp' as const, port, periodSeconds: 2 },
    liveness: { type: 'tcp' as const, port, periodSeconds: 10, failureThreshold: 6 },
    labels: instanceLabels('redis', name),
  };
  const confMount = { config, path: confDir, refresh: 'rolling-restart' as const };
  const services: InstanceService[] = [
    {
      name,
      spec: {
        ...common,
        // redis-server options after the image's config file (the entry script passes them on)
        args: [...memoryArgs, '--appendonly', params.appendonly ? 'yes' : 'no'],
        env: [password],
        rollout: singleWriterRollout,
        mounts: [{ volume, path: '/data' }, confMount],
        replicas: 1,
      },
    },
  ];
  // Replicas copy the primary: no volume of their own (a new container resyncs from the primary,
  // its /data is the container's), no append-only file, and writes refused (READONLY).
  if (replicas > 0)
    services.push({
      name: `${name}-replica`,
      spec: {
        ...common,
        args: [...memoryArgs, '--appendonly', 'no', '--replica-read-only', 'yes'],
        env: [password, { name: 'REDIS_REPLICAOF', value: `${name}:${port}` }],
        rollout: { ...singleWriterRollout, maxSurge: 1, maxUnavailable: 0 },
        mounts: [confMount],
        replicas,
      },
    });
  return {
    volumes: [{ name: volume, class: str(params.volumeClass), sizeMiB: num(params.storageMiB) }],
    services,
    configs: [
      {
        name: config,
        description: `redis.conf extras of app instance ${name}`,
        files: { 'redis.conf': confFile },
      },
    ],
  };
}

export const redisTemplate: AppTemplate = {
  name: 'redis',
  title: 'Redis',
  description: {
    en: 'In-memory key-value store: one server with a password, a memory limit and an append-only file on a volume.',
    'zh-CN': '内存键值数据库：单个服务器，带密码、内存上限，追加日志文件保存在数据卷上。',
  },
  latest: '7',
  versions: [
    {
      version: '7',
      image: 'localhost/berth-apps/redis:7',
      softwareVersion: '7.0 (Debian 12 redis-server)',
      parameters: [
        {
          name: 'maxmemoryMiB',
          type: 'integer',
          default: 256,
          min: 16,
          max: 65536,
          unit: 'MiB',
          description: {
            en: 'Most memory Redis uses for data (maxmemory); the container gets a quarter more, at least 64 MiB',
            'zh-CN': 'Redis 数据最多使用的内存（maxmemory）；容器另加四分之一，至少 64 MiB',
          },
        },
        {
          name: 'maxmemoryPolicy',
          type: 'enum',
          default: 'noeviction',
          enum: ['noeviction', 'allkeys-lru', 'volatile-lru', 'allkeys-lfu', 'volatile-lfu', 'volatile-ttl'],
          description: {
            en: 'What Redis does at maxmemory: refuse writes (noeviction) or evict keys',
            'zh-CN': '达到 maxmemory 时的行为：拒绝写入（noeviction）或淘汰键',
          },
        },
        {
          name: 'appendonly',
          type: 'boolean',
          default: true,
          description: {
            en: 'Write every change to an append-only file on the volume (survives a restart)',
            'zh-CN': '把每次修改写入数据卷上的追加日志文件（重启后数据仍在）',
          },
        },
        {
          name: 'replicas',
          type: 'integer',
          default: 0,
          min: 0,
          max: 5,
          description: {
            en: 'Read replicas following the primary (service {name}-replica); 0: the primary alone',
            'zh-CN': '跟随主节点的只读副本数（服务 {name}-replica）；0 表示只有主节点',
          },
        },
        ...storageParameters,
      ],
      creates: {
        // the default (no replicas); with replicas also {name}-replica (the notes say so)
        services: ['{name}'],
        volumes: ['{name}-data'],
        configs: ['{name}-conf'],
        secrets: ['password'],
      },
      connection: {
        service: '{name}',
        containerPort: port,
        user: 'default',
        scheme: 'redis',
        path: '',
        readService: '{name}-replica',
      },
      passwordRotation: true,
      notes: [
        {
          en: 'Image built from Debian packages (scripts/app-images.sh redis); runs as a non-root user.',
          'zh-CN': '镜像由 Debian 软件包构建（scripts/app-images.sh redis），以非 root 用户运行。',
        },
        {
          en: 'A password rotation restarts the server (its data stays on the volume) and its replicas.',
          'zh-CN': '轮换密码会重启服务器（数据保留在数据卷上）及其副本。',
        },
        {
          en: "Replicas (replicas > 0) are the service {name}-replica: they serve reads at the connection's read endpoint and refuse writes; they keep no data of their own and resync from the primary when they restart.",
          'zh-CN':
            '副本（replicas > 0）即服务 {name}-replica：通过连接信息中的只读地址提供读取并拒绝写入；副本不保存自己的数据，重启后从主节点重新同步。',
        },
        {
          en: 'Tune the server in the config {name}-conf (redis.conf); a new version restarts the members.',
          'zh-CN': '在配置 {name}-conf（redis.conf）中调整服务器；保存新版本会重启各成员。',
        },
      ],
      objects,
    },
  ],
};
