import { appImagesBuildSchema, type AppImagesView, type Task } from '@berth/shared';
import type { CommandDef } from '../context';
import { CliError, validate } from '../errors';
import { followTask, isTerminal } from '../task-waiter';

/** `berth apps images` and `berth apps build-images` (docs/apps.md "Images"): platform admins. */
export const appImageCommands: CommandDef[] = [
  {
    name: 'apps images',
    usage: '',
    summary:
      "the catalog's images (platform admins): in the embedded registry (digest), in the local store only, missing or building",
    positionals: { min: 0, max: 0 },
    async run(ctx) {
      const res = await (await ctx.client()).get<AppImagesView>('/api/v1/apps/images');
      if (ctx.out.json) ctx.out.printJson(res);
      else {
        ctx.out.table(
          res.items,
          [
            { header: 'IMAGE', value: (i) => i.name },
            { header: 'APPS', value: (i) => i.apps.join(', ') },
            { header: 'STATE', value: (i) => i.state },
            {
              header: 'WHERE',
              value: (i) => (i.state === 'registry' ? i.registryImage : i.localImage) ?? '-',
            },
            { header: 'DIGEST', value: (i) => i.digest?.slice(0, 19) ?? '-' },
          ],
          'the catalog has no images built by Berth',
        );
        if (res.buildTask) ctx.out.note(`a build is running: berth tasks get ${res.buildTask} -f`);
      }
      return 0;
    },
  },
  {
    name: 'apps build-images',
    usage: '[APP...] [--no-wait]',
    summary:
      "build the catalog's images from Debian packages and push them to the embedded registry (platform admins; all without APP)",
    positionals: { min: 0, max: 20 },
    options: [{ name: 'wait', kind: 'boolean', negatable: true, description: 'wait for the task (default)' }],
    async run(ctx) {
      const client = await ctx.client();
      const apps = ctx.args.positionals.length > 0 ? [...ctx.args.positionals] : undefined;
      const body = validate(appImagesBuildSchema, apps ? { apps } : {}, 'image build');
      const task = await client.post<Task>('/api/v1/apps/images/build', body);
      if (!ctx.wait) {
        if (ctx.out.json) ctx.out.printJson(task);
        else ctx.out.line(`task ${task.id} started; follow it with "berth tasks get ${task.id} -f"`);
        return 0;
      }
      const final = isTerminal(task) ? task : await followTask(client, task.id, ctx.out);
      if (ctx.out.json) ctx.out.printJson(final);
      if (final.state !== 'succeeded')
        throw new CliError(
          `task ${final.id} ${final.state}: ${final.error ?? ''} ("berth tasks get ${final.id}" shows it)`,
        );
      if (!ctx.out.json) ctx.out.line(`images built and pushed: ${final.progress.message}`);
      return 0;
    },
  },
];
