import { readFile } from 'node:fs/promises';
import {
  createCertificateRequestSchema,
  replaceCertificateRequestSchema,
  type Certificate,
} from '@berth/shared';
import type { OptionSpec } from '../args';
import type { CommandContext, CommandDef } from '../context';
import { CliError, validate } from '../errors';
import { type Column } from '../output';
import { limitOf, limitOption, notePaging } from './common';

const pemOptions: OptionSpec[] = [
  { name: 'cert', kind: 'string', value: 'FILE', description: 'the PEM certificate chain, leaf first' },
  { name: 'key', kind: 'string', value: 'FILE', description: 'the unencrypted PEM private key' },
];

const day = 86_400_000;
const expiry = (c: Certificate) => {
  const days = Math.floor((Date.parse(c.notAfter) - Date.now()) / day);
  return `${c.notAfter.slice(0, 10)} (${days < 0 ? 'expired' : `${days}d`})`;
};

const columns: Column<Certificate>[] = [
  { header: 'NAME', value: (c) => c.name },
  { header: 'NAMES', value: (c) => c.sans.join(',') },
  { header: 'EXPIRES', value: expiry },
  { header: 'USED BY', value: (c) => c.usedBy.map((u) => `${u.env}/${u.route}`).join(',') },
];

const base = (ctx: CommandContext) => `/api/v1/projects/${encodeURIComponent(ctx.project())}/certificates`;

/** --cert FILE and --key FILE, read from disk (both required). */
async function pemFiles(ctx: CommandContext): Promise<{ certificate: string; key: string }> {
  const cert = ctx.args.string('cert');
  const key = ctx.args.string('key');
  if (!cert || !key) throw ctx.usageError('both --cert FILE and --key FILE are needed');
  const read = async (file: string, what: string) => {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read the ${what} file ${file}: ${(err as Error).message}`);
    }
  };
  return { certificate: await read(cert, 'certificate'), key: await read(key, 'key') };
}

function details(ctx: CommandContext, c: Certificate): void {
  ctx.out.line(`name:         ${c.name}`);
  ctx.out.line(`subject:      ${c.subject}`);
  ctx.out.line(`issuer:       ${c.issuer}`);
  ctx.out.line(`names:        ${c.sans.join(', ')}`);
  ctx.out.line(`valid:        ${c.notBefore} to ${c.notAfter} (${expiry(c)})`);
  ctx.out.line(`fingerprint:  ${c.fingerprint}`);
  ctx.out.line(`chain:        ${c.chainLength} certificate(s)`);
  ctx.out.line(
    `used by:      ${c.usedBy.map((u) => `${u.env}/${u.route} (${u.host}${u.covered ? '' : ', NOT covered'})`).join(', ') || '-'}`,
  );
  ctx.out.line(`version:      ${c.version}, updated ${c.updatedAt} by ${c.updatedBy}`);
}

function show(ctx: CommandContext, value: unknown, text: () => void): number {
  if (ctx.out.json) ctx.out.printJson(value);
  else text();
  return 0;
}

/** certificates: the project's store of TLS certificates that its routes name (`--tls-cert NAME`). */
export const certificateCommands: CommandDef[] = [
  {
    name: 'certificates list',
    usage: '-p PROJECT [--limit N]',
    summary: "list a project's TLS certificates (names, expiry, the routes that use them)",
    positionals: { min: 0, max: 0 },
    scoped: true,
    options: [limitOption],
    async run(ctx) {
      const page = await (await ctx.client()).list<Certificate>(base(ctx), {}, limitOf(ctx));
      return show(ctx, page, () => {
        ctx.out.table(page.items, columns, 'no certificates');
        notePaging(ctx, page.nextCursor);
      });
    },
  },
  {
    name: 'certificates get',
    usage: 'NAME -p PROJECT',
    summary: 'show a certificate (never its key)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const c = await (await ctx.client()).get<Certificate>(`${base(ctx)}/${encodeURIComponent(ctx.arg(0))}`);
      return show(ctx, c, () => details(ctx, c));
    },
  },
  {
    name: 'certificates add',
    usage: 'NAME --cert FILE --key FILE -p PROJECT',
    summary: 'upload a certificate chain and its private key (the key is sealed and never shown)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: pemOptions,
    async run(ctx) {
      const body = validate(
        createCertificateRequestSchema,
        { name: ctx.arg(0), ...(await pemFiles(ctx)) },
        'certificate',
      );
      const c = await (await ctx.client()).post<Certificate>(base(ctx), body);
      return show(ctx, c, () =>
        ctx.out.line(`certificate ${c.project}/${c.name} added (${c.sans.join(', ')}, expires ${expiry(c)})`),
      );
    },
  },
  {
    name: 'certificates renew',
    usage: 'NAME --cert FILE --key FILE -p PROJECT',
    summary: 'replace a certificate and key; gateways whose routes use it apply the new files',
    positionals: { min: 1, max: 1 },
    scoped: true,
    options: pemOptions,
    async run(ctx) {
      const body = validate(replaceCertificateRequestSchema, await pemFiles(ctx), 'certificate');
      const c = await (
        await ctx.client()
      ).put<Certificate & { gateways: { gateway: string; version: number | null; error: string | null }[] }>(
        `${base(ctx)}/${encodeURIComponent(ctx.arg(0))}`,
        body,
      );
      return show(ctx, c, () => {
        ctx.out.line(`certificate ${c.project}/${c.name} renewed (expires ${expiry(c)})`);
        for (const g of c.gateways)
          if (g.error) ctx.out.warn(`gateway ${g.gateway}: ${g.error}`);
          else ctx.out.line(`gateway ${g.gateway} applied${g.version ? ` version ${g.version}` : ''}`);
      });
    },
  },
  {
    name: 'certificates remove',
    usage: 'NAME -p PROJECT',
    summary: 'delete a certificate (refused while a route uses it)',
    positionals: { min: 1, max: 1 },
    scoped: true,
    async run(ctx) {
      const name = ctx.arg(0);
      await (await ctx.client()).delete(`${base(ctx)}/${encodeURIComponent(name)}`);
      return show(ctx, { removed: name }, () => ctx.out.line(`certificate ${ctx.project()}/${name} removed`));
    },
  },
];
