/**
 * ZooKeeper: a single node, or a 3-node ensemble whose members are one Berth service each
 * (`{name}-1..3`, each with its own volume `{name}-N-data`). The members find each other by their
 * service names, which resolve on the environment's network (docs/networks.md). The image
 * (apps/images/zookeeper, Debian's zookeeper package) writes zoo.cfg from ZOO_MY_ID, ZOO_SERVERS,
 * ZOO_HEAP_MB and ZOO_4LW_COMMANDS. ZooKeeper has no server password: nothing secret is made.
 */
import { connect } from 'node:net';
import {
  instanceLabels,
  num,
  singleWriterRollout,
  storageParameters,
  str,
  type AppTemplate,
  type InstanceInput,
  type TemplateVersion,
} from './template';

const port = 2181;
const image = 'localhost/berth-apps/zookeeper:3.8';

/** What one template version changes in the members' containers. */
interface Flavour {
  /** The four-letter words the server answers (srvr is needed by readiness and upgrades). */
  fourLetterWords: string;
  /** JVM options beyond the heap (JAVA_TOOL_OPTIONS), or none. */
  jvmOptions: string | null;
}

/** Member service names: `{name}` alone, or `{name}-1..N`. */
export function zookeeperMembers(name: string, members: number): string[] {
  return members === 1 ? [name] : Array.from({ length: members }, (_x, i) => `${name}-${i + 1}`);
}

/**
 * Ready means serving: `srvr` answers with a Mode only when the server is in a quorum (or
 * standalone); an ensemble member that is up but not in the quorum answers "not currently serving
 * requests". A TCP check would call a lone member ready. The script is constant (bash's /dev/tcp;
 * the image has no nc), nothing from the user is in it.
 */
const servingCheck = [
  'bash',
  '-c',
  `exec 3<>/dev/tcp/127.0.0.1/${port} && printf srvr >&3 && grep -Eq '^Mode: (leader|follower|standalone)' <&3`,
];

function objectsOf(flavour: Flavour) {
  return ({ name, params }: InstanceInput) => {
    const heap = num(params.heapMiB);
    const names = zookeeperMembers(name, num(params.members));
    // peers by service name: server.N=<member>:<peer port>:<election port>;<client port>
    const servers = names.map((m, i) => `server.${i + 1}=${m}:2888:3888;${port}`).join(' ');
    return {
      volumes: names.map((m) => ({
        name: `${m}-data`,
        class: str(params.volumeClass),
        sizeMiB: num(params.storageMiB),
      })),
      services: names.map((m, i) => ({
        name: m,
        spec: {
          image,
          env: [
            { name: 'ZOO_HEAP_MB', value: String(heap) },
            { name: 'ZOO_4LW_COMMANDS', value: flavour.fourLetterWords },
            ...(names.length > 1
              ? [
                  { name: 'ZOO_MY_ID', value: String(i + 1) },
                  { name: 'ZOO_SERVERS', value: servers },
                ]
              : []),
            ...(flavour.jvmOptions ? [{ name: 'JAVA_TOOL_OPTIONS', value: flavour.jvmOptions }] : []),
          ],
          ports: [
            { name: 'client', containerPort: port },
            ...(names.length > 1
              ? [
                  { name: 'peer', containerPort: 2888 },
                  { name: 'election', containerPort: 3888 },
                ]
              : []),
          ],
          // the JVM beyond its heap: metaspace, code cache, thread stacks, direct buffers
          resources: { memoryMiB: heap + Math.max(192, Math.ceil(heap / 2)) },
          readiness: { type: 'exec' as const, command: servingCheck, periodSeconds: 3, timeoutSeconds: 3 },
          liveness: {
            type: 'tcp' as const,
            port,
            initialDelaySeconds: 60,
            periodSeconds: 10,
            failureThreshold: 6,
          },
          // a member waits for its quorum on the first start
          rollout: { ...singleWriterRollout, progressDeadlineSeconds: 300 },
          labels: { ...instanceLabels('zookeeper', name), 'berth.app-member': String(i + 1) },
          mounts: [{ volume: `${m}-data`, path: '/data' }],
          replicas: 1,
        },
      })),
    };
  };
}

/**
 * The member's role from `srvr` over TCP to its published port: leader, follower, standalone
 * (observer), or null when it does not answer with a Mode (down, or not in a quorum).
 */
export function zookeeperRole(
  address: { host: string; port: number },
  timeoutMs = 3000,
): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host: address.host, port: address.port });
    let text = '';
    const done = (role: string | null) => {
      socket.destroy();
      resolve(role);
    };
    socket.setTimeout(timeoutMs, () => done(null));
    socket.on('connect', () => socket.write('srvr'));
    socket.on('data', (d: Buffer) => (text += d.toString('utf8')));
    socket.on('error', () => done(null));
    socket.on('end', () => done(/^Mode: (\w+)/m.exec(text)?.[1] ?? null));
  });
}

const parameters = [
  {
    name: 'members',
    type: 'enum' as const,
    default: '1',
    enum: ['1', '3'],
    description: {
      en: 'Servers: 1 (a single node) or 3 (an ensemble that keeps serving with one member down); an upgrade never changes it',
      'zh-CN': '服务器数量：1（单节点）或 3（集群，一个成员停机时仍可服务）；升级不会改变它',
    },
  },
  {
    name: 'heapMiB',
    type: 'integer' as const,
    default: 256,
    min: 64,
    max: 16384,
    unit: 'MiB',
    description: {
      en: 'Java heap of each server (-Xmx); the container gets half as much again for the JVM, at least 192 MiB',
      'zh-CN': '每个服务器的 Java 堆（-Xmx）；容器另加一半给 JVM，至少 192 MiB',
    },
  },
  ...storageParameters.map((p) =>
    p.name === 'storageMiB'
      ? { ...p, description: { en: 'Size of each member’s data volume', 'zh-CN': '每个成员的数据卷大小' } }
      : p,
  ),
];

const notes = [
  {
    en: 'Image built from Debian packages (scripts/app-images.sh zookeeper); runs as a non-root user.',
    'zh-CN': '镜像由 Debian 软件包构建（scripts/app-images.sh zookeeper），以非 root 用户运行。',
  },
  {
    en: 'ZooKeeper has no server password: any client that reaches a member may read and write. Use ACLs from your client, and keep the published ports on the machine.',
    'zh-CN':
      'ZooKeeper 没有服务器密码：能连到成员的客户端都可读写。请在客户端使用 ACL，已发布端口只在本机可达。',
  },
  {
    en: 'An ensemble is 3 services ({name}-1..3) with a volume each; a member is ready only when it serves (in the quorum). Upgrades roll followers first, the leader last.',
    'zh-CN':
      '集群是 3 个服务（{name}-1..3），每个有自己的数据卷；成员只有在服务中（在法定人数内）才算就绪。升级先滚动跟随者，最后是领导者。',
  },
];

function version(v: string, softwareVersion: string, flavour: Flavour): TemplateVersion {
  return {
    version: v,
    image,
    softwareVersion,
    parameters,
    // the default single node; members=3 makes {name}-1..3 with {name}-N-data (said in the notes)
    creates: { services: ['{name}'], volumes: ['{name}-data'], configs: [], secrets: [] },
    connection: {
      service: '{name}',
      containerPort: port,
      user: '',
      scheme: 'zk',
      path: '',
      allMembers: true,
    },
    passwordRotation: false,
    notes,
    objects: objectsOf(flavour),
    memberRole: zookeeperRole,
  };
}

export const zookeeperTemplate: AppTemplate = {
  name: 'zookeeper',
  title: 'ZooKeeper',
  description: {
    en: 'Coordination service: a single node or a 3-node ensemble, each member with its own data volume.',
    'zh-CN': '分布式协调服务：单节点或 3 节点集群，每个成员有自己的数据卷。',
  },
  latest: '3.8-2',
  // oldest first: an upgrade goes to a later entry only
  versions: [
    version('3.8', '3.8 (Debian 12 zookeeper)', { fourLetterWords: 'ruok,srvr,mntr,stat', jvmOptions: null }),
    {
      ...version('3.8-2', '3.8 (Debian 12 zookeeper)', {
        fourLetterWords: 'ruok,srvr,mntr,stat,conf,isro',
        // small heaps: the serial collector uses less CPU and memory than G1 on a busy machine
        jvmOptions: '-XX:+UseSerialGC',
      }),
      notes: [
        ...notes,
        {
          en: '3.8-2: the serial garbage collector (less CPU and memory for small heaps) and the conf and isro four-letter words.',
          'zh-CN': '3.8-2：使用串行垃圾回收器（小堆时更省 CPU 和内存），并开放 conf 和 isro 四字命令。',
        },
      ],
    },
  ],
};
