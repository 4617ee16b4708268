/**
 * MariaDB single server: a root password, one database and one application user with its own
 * password, the data directory on a volume. The image (apps/images/mariadb, Debian's
 * mariadb-server) runs as the non-root mysql user and initialises an empty data directory on its
 * first start from MARIADB_ROOT_PASSWORD, MARIADB_DATABASE, MARIADB_USER and MARIADB_PASSWORD.
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

const port = 3306;

/** Where the instance's config file is mounted; mariadbd reads it after its own (--defaults-extra-file). */
const confDir = '/etc/berth/mariadb.d';

/** The first version of `{name}-conf`: comments only. */
const confFile = `# Extra MariaDB server settings of this instance (docs/apps.md, "Config files"), read after
# the image's configuration. Saving a new version restarts the server (rolling restart).
[mariadbd]
# max_connections = 200
# innodb_buffer_pool_size = 256M
`;

function objects({ name, params, secrets }: InstanceInput) {
  const volume = `${name}-data`;
  const config = `${name}-conf`;
  return {
    volumes: [{ name: volume, class: str(params.volumeClass), sizeMiB: num(params.storageMiB) }],
    configs: [
      { name: config, description: `my.cnf extras of app instance ${name}`, files: { 'my.cnf': confFile } },
    ],
    services: [
      {
        name,
        spec: {
          image: 'localhost/berth-apps/mariadb:10.11',
          // the entry script passes its arguments to mariadbd, where this one must come first
          args: [`--defaults-extra-file=${confDir}/my.cnf`],
          env: [
            { name: 'MARIADB_ROOT_PASSWORD', value: secrets.rootPassword!, secret: true },
            { name: 'MARIADB_DATABASE', value: str(params.database) },
            { name: 'MARIADB_USER', value: str(params.user) },
            { name: 'MARIADB_PASSWORD', value: secrets.password!, secret: true },
          ],
          ports: [{ name: 'mysql', containerPort: port }],
          resources: { memoryMiB: num(params.memoryMiB) },
          // the first start initialises the data directory before the server listens
          readiness: { type: 'tcp' as const, port, periodSeconds: 2 },
          liveness: {
            type: 'tcp' as const,
            port,
            initialDelaySeconds: 60,
            periodSeconds: 10,
            failureThreshold: 6,
          },
          rollout: { ...singleWriterRollout, progressDeadlineSeconds: 300 },
          labels: instanceLabels('mariadb', name),
          mounts: [
            { volume, path: '/var/lib/mysql' },
            { config, path: confDir, refresh: 'rolling-restart' as const },
          ],
          replicas: 1,
        },
      },
    ],
  };
}

const identifier = '[A-Za-z_][A-Za-z0-9_]*';

export const mariadbTemplate: AppTemplate = {
  name: 'mariadb',
  title: 'MariaDB',
  description: {
    en: 'MySQL-compatible relational database: one server with a database and an application user, data on a volume.',
    'zh-CN': '兼容 MySQL 的关系型数据库：单个服务器，含一个数据库和一个应用用户，数据保存在数据卷上。',
  },
  latest: '10.11',
  versions: [
    {
      version: '10.11',
      image: 'localhost/berth-apps/mariadb:10.11',
      softwareVersion: '10.11 (Debian 12 mariadb-server)',
      parameters: [
        {
          name: 'database',
          type: 'string',
          default: 'app',
          pattern: identifier,
          patternHint: 'letters, digits and "_", not starting with a digit',
          maxLength: 64,
          description: { en: 'The database created at the first start', 'zh-CN': '首次启动时创建的数据库' },
        },
        {
          name: 'user',
          type: 'string',
          default: 'app',
          pattern: identifier,
          patternHint: 'letters, digits and "_", not starting with a digit',
          maxLength: 32,
          description: {
            en: 'The application user, with all privileges on that database only',
            'zh-CN': '应用用户，仅对该数据库拥有全部权限',
          },
        },
        {
          name: 'memoryMiB',
          type: 'integer',
          default: 512,
          min: 256,
          max: 65536,
          unit: 'MiB',
          description: { en: 'Memory limit of the server container', 'zh-CN': '服务器容器的内存上限' },
        },
        ...storageParameters,
      ],
      creates: {
        services: ['{name}'],
        volumes: ['{name}-data'],
        configs: ['{name}-conf'],
        secrets: ['password', 'rootPassword'],
      },
      connection: {
        service: '{name}',
        containerPort: port,
        user: '{param:user}',
        scheme: 'mysql',
        path: '/{param:database}',
      },
      // the passwords live in the data directory after the first start: rotation sets them with
      // ALTER USER inside the running server (apps-mariadb.ts), then the env follows
      passwordRotation: true,
      notes: [
        {
          en: 'Image built from Debian packages (scripts/app-images.sh mariadb); runs as the non-root mysql user.',
          'zh-CN': '镜像由 Debian 软件包构建（scripts/app-images.sh mariadb），以非 root 的 mysql 用户运行。',
        },
        {
          en: 'The database and user are set at the first start only. A password rotation sets new passwords for the user and root in the running server (ALTER USER), then restarts it.',
          'zh-CN':
            '数据库和用户只在首次启动时设置。轮换密码会在运行中的服务器里为该用户和 root 设置新密码（ALTER USER），然后重启服务器。',
        },
        {
          en: 'Tune the server in the config {name}-conf (my.cnf, section [mariadbd]); a new version restarts it.',
          'zh-CN': '在配置 {name}-conf（my.cnf 的 [mariadbd] 段）中调整服务器；保存新版本会重启服务器。',
        },
      ],
      objects,
    },
  ],
};
