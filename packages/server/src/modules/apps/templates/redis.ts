/**
 * Redis standalone: one server with a password, a memory limit and an append-only file on a
 * volume. The image (apps/images/redis, built from Debian's redis-server by scripts/app-images.sh)
 * runs as the package's non-root user and takes its password from REDIS_PASSWORD.
 */
import {
  instanceLabels,
  num,
  singleWriterRollout,
  storageParameters,
  str,
  type AppTemplate,
  type InstanceInput,
} from './template';

const port = 6379;

function objects({ name, params, secrets }: InstanceInput) {
  const maxmemory = num(params.maxmemoryMiB);
  const volume = `${name}-data`;
  return {
    volumes: [{ name: volume, class: str(params.volumeClass), sizeMiB: num(params.storageMiB) }],
    services: [
      {
        name,
        spec: {
          image: 'localhost/berth-apps/redis:7',
          // redis-server options after the image's config file (the entry script passes them on)
          args: [
            '--maxmemory',
            `${maxmemory}mb`,
            '--maxmemory-policy',
            str(params.maxmemoryPolicy),
            '--appendonly',
            params.appendonly ? 'yes' : 'no',
          ],
          env: [{ name: 'REDIS_PASSWORD', value: secrets.password!, secret: true }],
          ports: [{ name: 'redis', containerPort: port }],
          // room for the server itself and copy-on-write during a background save
          resources: { memoryMiB: maxmemory + Math.max(64, Math.ceil(maxmemory / 4)) },
          readiness: { type: 'tcp' as const, port, periodSeconds: 2 },
          liveness: { type: 'tcp' as const, port, periodSeconds: 10, failureThreshold: 6 },
          rollout: singleWriterRollout,
          labels: instanceLabels('redis', name),
          mounts: [{ volume, path: '/data' }],
          replicas: 1,
        },
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
        ...storageParameters,
      ],
      creates: { services: ['{name}'], volumes: ['{name}-data'], configs: [], secrets: ['password'] },
      connection: { service: '{name}', containerPort: port, user: 'default', scheme: 'redis', path: '' },
      passwordRotation: true,
      notes: [
        {
          en: 'Image built from Debian packages (scripts/app-images.sh redis); runs as a non-root user.',
          'zh-CN': '镜像由 Debian 软件包构建（scripts/app-images.sh redis），以非 root 用户运行。',
        },
        {
          en: 'A password rotation restarts the server (its data stays on the volume).',
          'zh-CN': '轮换密码会重启服务器（数据保留在数据卷上）。',
        },
      ],
      objects,
    },
  ],
};
