import type { CommandDef } from '../context';
import { parseInteger } from '../args';

/** The defaults shown in the help (engine-kubernetes' installDefaults, which the help cannot load cheaply). */
const defaults = {
  namespace: 'berth',
  image: 'berth:latest',
  databaseSecret: 'berth-database',
  agentNodes: 'berth.io/gateway=true',
  agentListen: '0.0.0.0:8080',
};

/**
 * install …: what it takes to run Berth itself somewhere. Printed, never applied: the cluster's
 * admin reads the objects (RBAC above all) and applies them with their own rights.
 */
export const installCommands: CommandDef[] = [
  {
    name: 'install manifests',
    usage:
      '[--namespace NS] [--image IMAGE] [--database-secret NAME] [--agent-nodes LABEL=VALUE] [--agent-listen IP:PORT] [--server-url URL] [--replicas N]',
    summary:
      'print the Kubernetes manifests that run Berth in a cluster: server, least-rights RBAC, gateway agent DaemonSet (YAML, or a v1 List with -o json; apply with kubectl apply -f -)',
    positionals: { min: 0, max: 0 },
    options: [
      {
        name: 'namespace',
        kind: 'string',
        value: 'NS',
        description: `the server's namespace (default ${defaults.namespace}; the gateway agent's is NS-gateway)`,
      },
      {
        name: 'image',
        kind: 'string',
        value: 'IMAGE',
        description: `Berth's image: a checkout at /opt/berth with its dependencies (default ${defaults.image})`,
      },
      {
        name: 'database-secret',
        kind: 'string',
        value: 'NAME',
        description: `the Secret with key BERTH_DATABASE_URL (PostgreSQL; default ${defaults.databaseSecret})`,
      },
      {
        name: 'agent-nodes',
        kind: 'string',
        value: 'LABEL=VALUE',
        description: `the node label of the gateway nodes the agent runs on (default ${defaults.agentNodes})`,
      },
      {
        name: 'agent-listen',
        kind: 'string',
        value: 'IP:PORT',
        description: `where the gateway's Nginx listens on those nodes (default ${defaults.agentListen})`,
      },
      {
        name: 'server-url',
        kind: 'string',
        value: 'URL',
        description: "Berth's URL as the agents reach it (default the Service's in-cluster address)",
      },
      { name: 'replicas', kind: 'string', value: 'N', description: 'server replicas, 1-10 (default 1)' },
    ],
    async run(ctx) {
      // loaded here only: the Kubernetes client is heavy and no other command needs it
      const { installManifests, installManifestsYaml } = await import('@berth/engine-kubernetes');
      const replicas = ctx.args.string('replicas');
      const opts = {
        namespace: ctx.args.string('namespace'),
        image: ctx.args.string('image'),
        databaseSecret: ctx.args.string('database-secret'),
        agentNodes: ctx.args.string('agent-nodes'),
        agentListen: ctx.args.string('agent-listen'),
        serverUrl: ctx.args.string('server-url'),
        replicas: replicas === undefined ? undefined : parseInteger(replicas, '--replicas', 1, 10),
      };
      try {
        // -o json: one v1 List, which kubectl applies as well
        if (ctx.out.json)
          ctx.out.printJson({ apiVersion: 'v1', kind: 'List', items: installManifests(opts) });
        else ctx.out.raw(installManifestsYaml(opts));
      } catch (err) {
        // installManifests names the option and what it must be
        throw ctx.usageError(err instanceof Error ? err.message : String(err));
      }
      return 0;
    },
  },
];
