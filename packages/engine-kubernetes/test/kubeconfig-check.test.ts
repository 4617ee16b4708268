import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { InvalidError } from '@berth/shared';
import { checkKubeconfig } from '../src/kubeconfig-check';

type Obj = Record<string, unknown>;

/** A kubeconfig with one cluster, user and context; `edit` changes the parsed document. */
function kubeconfig(
  edit: (doc: { clusters: Obj[]; users: Obj[]; contexts: Obj[] } & Obj) => void = () => {},
): string {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: 'dc2',
        cluster: { server: 'https://k8s.dc2.example.net:6443', 'certificate-authority-data': 'Q0E=' },
      },
    ],
    users: [{ name: 'berth', user: { token: 'secret-token' } }],
    contexts: [{ name: 'berth@dc2', context: { cluster: 'dc2', user: 'berth' } }],
    'current-context': 'berth@dc2',
  };
  edit(doc);
  return stringify(doc);
}

/** The field error's message of a refused kubeconfig. */
async function refusal(text: string): Promise<string> {
  try {
    await checkKubeconfig(text);
  } catch (err) {
    assert.ok(err instanceof InvalidError, String(err));
    const fields = err.details?.fields as { path: string; message: string }[];
    assert.equal(fields[0]?.path, 'credentials.kubeconfig');
    assert.ok(!err.message.includes('secret-token'), 'the token is never repeated');
    return fields[0].message;
  }
  assert.fail('accepted');
}

describe('checkKubeconfig', () => {
  it("says what Berth will use: the current context's server, cluster, user and how it authenticates", async () => {
    assert.deepEqual(await checkKubeconfig(kubeconfig()), {
      server: 'https://k8s.dc2.example.net:6443',
      context: 'berth@dc2',
      cluster: 'dc2',
      user: 'berth',
      auth: 'token',
      warnings: [],
    });
    const cert = await checkKubeconfig(
      kubeconfig((d) => {
        d.users[0] = {
          name: 'berth',
          user: { 'client-certificate-data': 'Qw==', 'client-key-data': 'Sw==' },
        };
      }),
    );
    assert.equal(cert.auth, 'client-certificate');
  });

  it("refuses everything that would run a command or read a file of Berth's host, in any entry", async () => {
    const user = (u: Obj) =>
      kubeconfig((d) => {
        d.users.push({ name: 'other', user: u });
      });
    assert.match(
      await refusal(user({ exec: { command: 'sh' } })),
      /user "other" has "exec", which runs a command/,
    );
    assert.match(
      await refusal(user({ 'auth-provider': { name: 'gcp' } })),
      /"auth-provider", which runs a provider plugin/,
    );
    assert.match(
      await refusal(user({ 'token-file': '/etc/passwd' })),
      /"token-file", which reads a file .* paste the token/,
    );
    assert.match(
      await refusal(user({ 'client-certificate': '/x.crt' })),
      /inline it as "client-certificate-data"/,
    );
    assert.match(await refusal(user({ 'client-key': '/x.key' })), /inline it as "client-key-data"/);
    assert.match(
      await refusal(
        kubeconfig((d) => {
          d.clusters[0] = {
            name: 'dc2',
            cluster: { server: 'https://k8s.dc2.example.net:6443', 'certificate-authority': '/ca.crt' },
          };
        }),
      ),
      /cluster "dc2" has "certificate-authority", which reads a file/,
    );
  });

  it('refuses a kubeconfig Berth cannot use, saying why', async () => {
    assert.match(await refusal('clusters: ['), /is not YAML/);
    assert.match(await refusal('just text'), /must be a YAML mapping/);
    assert.match(await refusal(kubeconfig((d) => delete d['current-context'])), /has no "current-context"/);
    assert.match(
      await refusal(kubeconfig((d) => (d['current-context'] = 'nope'))),
      /current-context "nope", which is not in its contexts/,
    );
    assert.match(
      await refusal(
        kubeconfig(
          (d) => (d.contexts[0] = { name: 'berth@dc2', context: { cluster: 'dc2', user: 'ghost' } }),
        ),
      ),
      /names user "ghost", which is not in its users/,
    );
    assert.match(
      await refusal(kubeconfig((d) => (d.users[0] = { name: 'berth', user: {} }))),
      /has no credentials Berth can use/,
    );
    assert.match(
      await refusal(
        kubeconfig(
          (d) => (d.clusters[0] = { name: 'dc2', cluster: { server: 'http://k8s.dc2.example.net:8080' } }),
        ),
      ),
      /plain http only on a loopback address/,
    );
    assert.match(await refusal(kubeconfig((d) => (d.kind = 'Pod'))), /has kind "Pod": expected "Config"/);
  });

  it('warns when TLS verification is off over https, and not for kubectl proxy on loopback', async () => {
    const insecure = await checkKubeconfig(
      kubeconfig((d) => {
        d.clusters[0] = {
          name: 'dc2',
          cluster: { server: 'https://k8s.dc2.example.net:6443', 'insecure-skip-tls-verify': true },
        };
      }),
    );
    assert.match(insecure.warnings[0] ?? '', /turns TLS verification off/);
    const proxy = await checkKubeconfig(
      kubeconfig((d) => {
        d.clusters[0] = {
          name: 'dc2',
          cluster: { server: 'http://127.0.0.1:8001', 'insecure-skip-tls-verify': true },
        };
      }),
    );
    assert.deepEqual(proxy.warnings, []);
    assert.equal(proxy.server, 'http://127.0.0.1:8001');
  });
});
