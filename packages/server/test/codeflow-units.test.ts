/** Pure parts of codeflow: generated Dockerfiles, layer hashing, webhooks, ref patterns, caches. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createPipelineRequestSchema } from '@berth/shared';
import {
  debianBuilderDockerfile,
  imageDockerfile,
  preDockerfile,
  preLayerHash,
  templateBaseImage,
} from '../src/modules/codeflow/dockerfiles';
import { gitEnv, refMatches, redactUrl, shellQuote } from '../src/modules/codeflow/git-mirror';
import { deliveryId, readPush, verifyWebhook } from '../src/modules/codeflow/webhooks';
import { pruneCaches } from '../src/modules/codeflow/build-queue';

const evil = '"; touch /tmp/pwned; echo "$(id)`id`';

describe('generated Dockerfiles', () => {
  it('runs the pre script as a file, as uid 1000, for every builder template', () => {
    for (const t of ['node', 'static', 'shell', 'python', 'java-maven', 'go'] as const) {
      const df = preDockerfile(t, templateBaseImage[t]);
      assert.match(df, new RegExp(`^FROM ${templateBaseImage[t].replace(/[.]/g, '\\.')}\n`));
      assert.match(df, /COPY berth\/ \/berth\/\nUSER 1000\n/);
      assert.match(df, /COPY --chown=1000:1000 manifests\/ \/\n/, 'the build user owns \/app itself');
      assert.doesNotMatch(
        df,
        /RUN .*chown/,
        'RUN steps have no CAP_CHOWN: ownership comes from COPY --chown',
      );
      assert.match(df, /RUN \["\/bin\/sh", "\/berth\/pre\.sh"\]\n$/);
    }
  });

  it('puts the start command into a JSON-array CMD only, escaped, and runs as uid 1000', () => {
    const df = imageDockerfile({
      template: 'node',
      preImage: 'localhost/berth-pre/a-b:1',
      startCommand: evil,
      port: 3000,
    });
    const cmd = df.split('\n').find((l) => l.startsWith('CMD '))!;
    assert.deepEqual(JSON.parse(cmd.slice(4)), ['/bin/sh', '-c', evil]);
    assert.equal(df.split('\n').filter((l) => l.includes('pwned')).length, 1, 'only in the CMD array');
    assert.match(
      df,
      /^FROM localhost\/berth-pre\/a-b:1\nCOPY --chown=1000:1000 artifact\/ \/app\/\nUSER 1000\n/,
    );
    assert.match(df, /ENV PORT=3000\nEXPOSE 3000\n/);
  });

  it('falls back to the template default start command', () => {
    const df = imageDockerfile({ template: 'static', preImage: 'x', startCommand: '  ', port: 8080 });
    assert.match(df, /CMD \["\/bin\/sh","-c","exec httpd -f -p \\"\$PORT\\" -h \/app"\]/);
  });

  it('builds Python, Maven and Go builders from the Debian base with a fixed package list', () => {
    assert.match(
      debianBuilderDockerfile('python'),
      /FROM localhost\/berth-debian:bookworm-minbase\nRUN apt-get update .*python3-pip/,
    );
    assert.match(debianBuilderDockerfile('java-maven'), /maven default-jdk-headless/);
    assert.match(debianBuilderDockerfile('go'), /golang-go/);
  });

  it('hashes the pre layer by template, base image, script and manifests, nothing else', () => {
    const input = {
      template: 'node' as const,
      baseImage: 'b',
      preScript: 'npm ci',
      manifests: { 'package.json': Buffer.from('{}') },
    };
    const h = preLayerHash(input);
    assert.equal(preLayerHash({ ...input, manifests: { 'package.json': Buffer.from('{}') } }), h);
    assert.notEqual(preLayerHash({ ...input, preScript: 'npm ci --omit=dev' }), h);
    assert.notEqual(preLayerHash({ ...input, baseImage: 'c' }), h);
    assert.notEqual(preLayerHash({ ...input, manifests: { 'package.json': Buffer.from('{"a":1}') } }), h);
    assert.notEqual(preLayerHash({ ...input, template: 'python' }), h);
  });
});

describe('pipeline validation', () => {
  const base = { name: 'p', target: { env: 'test', service: 'web' }, template: 'node' };
  const fields = (repo: object) => {
    const r = createPipelineRequestSchema.safeParse({ ...base, repo });
    return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
  };
  it('refuses option-like URLs and refs, and refs git would refuse', () => {
    assert.deepEqual(fields({ url: '-oProxyCommand=x', ref: 'main' }), ['repo.url', 'repo.url']);
    assert.deepEqual(fields({ url: 'ext::sh -c touch% /tmp/x', ref: 'main' }).includes('repo.url'), true);
    assert.deepEqual(fields({ url: '/srv/app.git', ref: '--upload-pack=x' }), ['repo.ref']);
    assert.deepEqual(fields({ url: '/srv/app.git', ref: 'a..b' }), ['repo.ref']);
    assert.deepEqual(fields({ url: '/srv/app.git', ref: 'a b' }), ['repo.ref']);
  });
  it('accepts https, ssh, scp-like and local URLs and branch globs', () => {
    for (const url of [
      'https://git.example.com/a/b.git',
      'ssh://git@h/a.git',
      'git@h:a/b.git',
      'file:///srv/a.git',
      '/srv/a.git',
    ])
      assert.deepEqual(fields({ url, ref: 'release/*' }), [], url);
  });
  it('requires a Dockerfile for template "dockerfile"', () => {
    const r = createPipelineRequestSchema.safeParse({
      ...base,
      template: 'dockerfile',
      repo: { url: '/a', ref: 'main' },
    });
    assert.equal(r.success, false);
    assert.equal(r.error?.issues[0]?.path.join('.'), 'dockerfile');
  });
});

describe('webhooks', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  const secret = 's3cret';
  const hex = createHmac('sha256', secret).update(body).digest('hex');
  it('verifies GitLab tokens and GitHub/Gitea HMACs over the raw body', () => {
    assert.equal(verifyWebhook('gitlab', secret, { 'x-gitlab-token': secret }, body), true);
    assert.equal(verifyWebhook('gitlab', secret, { 'x-gitlab-token': 's3cre' }, body), false);
    assert.equal(verifyWebhook('gitlab', secret, {}, body), false);
    assert.equal(verifyWebhook('github', secret, { 'x-hub-signature-256': `sha256=${hex}` }, body), true);
    assert.equal(
      verifyWebhook(
        'github',
        secret,
        { 'x-hub-signature-256': `sha256=${hex}` },
        Buffer.concat([body, Buffer.from(' ')]),
      ),
      false,
    );
    assert.equal(verifyWebhook('github', secret, { 'x-hub-signature-256': hex }, body), false);
    assert.equal(verifyWebhook('gitea', secret, { 'x-gitea-signature': hex }, body), true);
    assert.equal(verifyWebhook('gitea', 'other', { 'x-gitea-signature': hex }, body), false);
  });
  it('reads pushes of branches and tags, and ignores other events and deletions', () => {
    const sha = 'a'.repeat(40);
    assert.deepEqual(
      readPush(
        'gitlab',
        { 'x-gitlab-event': 'Tag Push Hook' },
        { ref: 'refs/tags/v1.2', checkout_sha: sha, user_username: 'me' },
      ),
      {
        push: { kind: 'tag', name: 'v1.2', sha, pusher: 'me' },
      },
    );
    assert.deepEqual(
      readPush(
        'gitea',
        { 'x-gitea-event': 'push' },
        { ref: 'refs/heads/dev', after: sha, pusher: { login: 'u' } },
      ),
      {
        push: { kind: 'branch', name: 'dev', sha, pusher: 'u' },
      },
    );
    assert.ok('ignore' in readPush('github', { 'x-github-event': 'ping' }, {}));
    assert.ok(
      'ignore' in
        readPush('github', { 'x-github-event': 'push' }, { ref: 'refs/heads/x', after: '0'.repeat(40) }),
    );
  });
  it('uses the delivery header for replay protection, else a hash of the body', () => {
    assert.equal(deliveryId('github', { 'x-github-delivery': 'abc' }, body), 'abc');
    assert.match(deliveryId('gitlab', {}, body), /^body:[0-9a-f]{64}$/);
  });
});

describe('refs, URLs and caches', () => {
  it('matches branch patterns with * as a wildcard and nothing else special', () => {
    assert.equal(refMatches('main', 'main'), true);
    assert.equal(refMatches('main', 'main2'), false);
    assert.equal(refMatches('release/*', 'release/1.0'), true);
    assert.equal(refMatches('v*', 'v1.2.3'), true);
    assert.equal(refMatches('v1.0', 'v1x0'), false);
  });
  it('hands a token to git through GIT_ASKPASS and the environment only', () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'berth-askpass-'));
    try {
      const token = `tok'$(touch ${scratch}/pwned)`;
      const env = gitEnv({ kind: 'token', username: 'x-access-token', token }, scratch);
      const out = execFileSync('git', ['credential', 'fill'], {
        env,
        input: 'protocol=https\nhost=git.example.com\n\n',
      }).toString();
      assert.match(out, /^username=x-access-token$/m);
      assert.ok(out.includes(`password=${token}\n`), out);
      assert.equal(readdirSync(scratch).includes('pwned'), false);
      assert.equal(JSON.stringify(env).includes(`GIT_ASKPASS":"${scratch}`), true);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
  it('quotes the deploy key path for the ssh command git runs through a shell', () => {
    assert.equal(shellQuote("/data dir/it's"), `'/data dir/it'\\''s'`);
  });
  it('hides credentials in logged URLs', () => {
    assert.equal(redactUrl('https://oauth2:tok@git.example.com/a.git'), 'https://***@git.example.com/a.git');
  });
  it('prunes the oldest cache entries until the caches fit', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'berth-cache-'));
    try {
      mkdirSync(path.join(root, 'node', 'old'), { recursive: true });
      mkdirSync(path.join(root, 'node', 'new'), { recursive: true });
      writeFileSync(path.join(root, 'node', 'old', 'a'), Buffer.alloc(4000));
      writeFileSync(path.join(root, 'node', 'new', 'b'), Buffer.alloc(4000));
      utimesSync(path.join(root, 'node', 'old'), new Date(1000), new Date(1000));
      assert.equal(pruneCaches(root, 5000), 1);
      assert.deepEqual(readdirSync(path.join(root, 'node')), ['new']);
      assert.equal(pruneCaches(root, 5000), 0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
