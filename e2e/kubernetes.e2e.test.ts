/**
 * Kubernetes clusters and a service's manifests in a real browser against a real Berth, with the
 * test Kubernetes API server (`startFakeApiServer`, the only fake: no real API server runs here):
 * the Manifests tab says when Berth applies objects while no Kubernetes cluster exists; an admin
 * registers one through the form (the Podman-only fields hidden, the kubeconfig read through the
 * file picker, an http:// endpoint refused at its field), sees it ready with the API server's
 * version, the kubeconfig never shown back ("set", Replace), changes its exposure; the service's
 * Manifests tab shows the Deployment and the Service Berth applies there, as the API answers
 * them, copies and downloads the YAML; the pages fit 1366 px and read in Chinese. A service runs
 * there (its pods are its containers); the Debug button of a pod opens a shell in an ephemeral
 * container of the pod aimed at the app (a command's output in the terminal; closing the window
 * kills it, and it stays in the pod terminated, never a replica); the Files button browses the
 * pod's files through tar in the container (the test API server runs the host's tar over a
 * directory standing for the pod's root): a directory, a file viewed and downloaded, the log file
 * the service declares followed while lines are appended, and collected — in Chinese.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import {
  defaultExecHandler,
  podFilesHandler,
  startFakeApiServer,
  type FakeApiServer,
} from '@berth/engine-kubernetes/testing';
import { clusterApiRoutes } from '../packages/web/src/features/clusters/clusters-api.ts';
import { clustersEn } from '../packages/web/src/features/clusters/messages.ts';
import { debugApiRoutes } from '../packages/web/src/features/debug/debug-api.ts';
import { filesApiRoutes } from '../packages/web/src/features/files/files-api.ts';
import { manifestApiRoutes } from '../packages/web/src/features/manifests/manifests-api.ts';
import { manifestsEn } from '../packages/web/src/features/manifests/messages.ts';
import { en } from '../packages/web/src/i18n/en.ts';
import { zhCN } from '../packages/web/src/i18n/zh-CN.ts';
import {
  adminPassword,
  eventually,
  startPlatform,
  waitTask,
  webSpec,
  type TestPlatform,
} from '../packages/server/test/helpers/platform.ts';
import { unexpectedProblems, type TestBrowser } from './helpers/browser.ts';
import { assertRoutesDocumented } from './helpers/openapi.ts';
import { fieldError, logIn, portalSession, seedWebService } from './helpers/session.ts';

interface ClusterBody {
  kind: string;
  state: string;
  engineVersion: string | null;
  exposure: string | null;
  namespacePrefix: string | null;
  hasCredentials: boolean;
}

interface ManifestsBody {
  cluster: string;
  namespace: string;
  yaml: string;
  objects: Array<{ kind: string; metadata: { name: string } }>;
}

const manifestsUrl = '/p/shop/test/s/web/manifests';
const manifestsApi = '/api/v1/projects/shop/envs/test/services/web/manifests';
const kwebApi = '/api/v1/projects/shop/envs/test/services/kweb';
/** The debug image the cluster pulls (Kubernetes builds no toolbox; docs/debug.md). */
const toolbox = 'registry.example:5000/berth/toolbox:1';

/**
 * The text of every visible text node of the page's content outside code and server data (marked
 * translate="no"), trimmed. A string, not a function: the tests are type-checked without the DOM library.
 */
const uiTexts = `(() => {
  const out = [];
  const root = document.querySelector('.app-content');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !node.textContent.trim() || el.closest('code, pre, [translate="no"]')) continue;
    out.push(node.textContent.trim());
  }
  return out;
})()`;

/** How far the page scrolls sideways (0 when it fits the window). */
const overflow = (page: Page) =>
  page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

/** Chooses the kind in the open cluster form and fills the Kubernetes fields. */
async function fillKubernetes(page: Page, name: string, endpoint: string, kubeconfigFile?: string) {
  await page.getByTestId('add-cluster').click();
  await page.fill('#cluster-name', name);
  await page
    .locator('label')
    .filter({ has: page.getByTestId('cluster-kind-kubernetes') })
    .click();
  await page.locator('#cluster-kubeconfig').waitFor();
  await page.fill('#cluster-endpoint', endpoint);
  if (kubeconfigFile) {
    await page.getByTestId('cluster-kubeconfig-file').setInputFiles(kubeconfigFile);
    await page.getByTestId('cluster-kubeconfig-read').waitFor();
  }
}

void describe('Kubernetes clusters and manifests (browser, test API server)', { timeout: 300_000 }, () => {
  let platform: TestPlatform;
  let browser: TestBrowser;
  let page: Page;
  let kube: FakeApiServer | undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-e2e-kubernetes-'));
  const kubeconfigFile = path.join(dir, 'kubeconfig.yaml');
  /** The directory standing for the root of the kweb pods' app container. */
  const podRoot = path.join(dir, 'pod-root');
  let kubeconfig = '';
  /** The kweb pods (their names), once the service runs. */
  let kpods: string[] = [];

  /** A pod as the test API server holds it (what kubectl get pod -o json shows). */
  const kubePod = (namespace: string, name: string) =>
    new Promise<{ spec: Record<string, unknown>; status: Record<string, unknown> }>((resolve, reject) => {
      const req = https.request(
        `${kube!.url}/api/v1/namespaces/${namespace}/pods/${name}`,
        { headers: { Authorization: `Bearer ${kube!.token}` }, rejectUnauthorized: false },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(JSON.parse(text) as never));
        },
      );
      req.on('error', reject);
      req.end();
    });

  portalSession(
    {
      // the test API server's pods answer on loopback ports it writes in an annotation
      start: () =>
        startPlatform(
          { BERTH_GATEWAY_LISTEN: 'off', BERTH_DEBUG_TOOLBOX_IMAGE: toolbox },
          {
            build: {
              kubernetes: {
                podAddress: (pod, port) => {
                  const host = pod.metadata.annotations?.[`fake.berth.dev/port-${port}`];
                  return host ? `127.0.0.1:${host}` : null;
                },
              },
            },
          },
        ),
      seed: async (platform) => {
        kube = await startFakeApiServer();
        // the kweb pods have files (and tar); exec elsewhere runs the default handler (its sh)
        mkdirSync(path.join(podRoot, 'var/log/app'), { recursive: true });
        mkdirSync(path.join(podRoot, 'srv'), { recursive: true });
        writeFileSync(path.join(podRoot, 'srv/index.html'), 'v1 served from a pod\n');
        writeFileSync(path.join(podRoot, 'var/log/app/app.log'), 'started\n');
        kube.setExecHandler(
          podFilesHandler((_ns, pod) => (pod.startsWith('kweb-') ? podRoot : undefined), defaultExecHandler),
        );
        kubeconfig = kube.kubeconfig;
        writeFileSync(kubeconfigFile, kubeconfig);
        await seedWebService(platform.api, 'shop');
      },
      teardown: async () => {
        await kube?.close();
        rmSync(dir, { recursive: true, force: true });
      },
    },
    (s) => ({ platform, browser, page } = s),
  );

  void it('calls only API paths that the OpenAPI document lists', async () => {
    await assertRoutesDocumented(platform.api, [
      ...Object.values(clusterApiRoutes),
      ...Object.values(manifestApiRoutes),
      ...Object.values(debugApiRoutes),
      ...Object.values(filesApiRoutes),
    ]);
  });

  void it('says when Berth applies manifests while no Kubernetes cluster exists', async () => {
    await logIn(page, platform.url, 'admin', adminPassword, { button: 'submit' });
    await page.goto(`${platform.url}${manifestsUrl}`);
    const empty = page.getByTestId('manifests-empty');
    await empty.waitFor();
    assert.match(
      await empty.innerText(),
      /Berth applies these objects when the service is placed on a Kubernetes cluster/,
    );
    // the admin is pointed at where clusters are added
    await empty.getByRole('link', { name: manifestsEn['manifests.empty.admin'] }).waitFor();
    assert.equal(await page.locator('.ant-tabs-tab-active').innerText(), 'Manifests');
  });

  void it('registers a Kubernetes cluster through the form; it is ready with its version', async () => {
    await page.goto(`${platform.url}/clusters`);
    await fillKubernetes(page, 'k8s-a', 'http://10.0.0.5:6443', kubeconfigFile);
    // the Podman-only fields are not there for Kubernetes
    for (const id of [
      '#cluster-publish-address',
      '#cluster-registry',
      '#cluster-private-key',
      '#cluster-known-hosts',
    ])
      assert.equal(await page.locator(id).count(), 0, `${id} is hidden for Kubernetes`);
    assert.equal(await page.locator('#cluster-kubeconfig').inputValue(), kubeconfig, 'the file was read');
    // each exposure explains itself in one line
    const exposure = await page.locator('#cluster-exposure').innerText();
    assert.match(exposure, /Pod IPs\s+The gateway nodes are in the cluster network/);
    assert.match(exposure, /NodePorts\s+The gateway nodes are outside the cluster network/);
    // http on a routable address is refused by the server, at the endpoint field; nothing stored
    await page.getByTestId('cluster-form-ok').click();
    assert.match(await fieldError(page, '#cluster-endpoint'), /https/);
    assert.equal(await page.getByTestId('cluster-form-error').count(), 0, 'no alert for a placed error');
    assert.equal((await platform.api.get('/api/v1/clusters/k8s-a')).status, 404);

    await page.fill('#cluster-endpoint', kube!.url);
    await page.getByTestId('cluster-exposure-pod-ip').click();
    // a namespace prefix that is no DNS label prefix: refused at its field, nothing stored
    await page.fill('#cluster-namespace-prefix', 'DC_2');
    await page.getByTestId('cluster-form-ok').click();
    assert.match(await fieldError(page, '#cluster-namespace-prefix'), /DNS label prefix/);
    assert.equal((await platform.api.get('/api/v1/clusters/k8s-a')).status, 404);
    // none: the namespaces are <project>-<env>-…, as before prefixes
    await page.fill('#cluster-namespace-prefix', '');
    await page.getByTestId('cluster-form-ok').click();
    await page.getByTestId('cluster-form').waitFor({ state: 'detached' });
    await page.getByTestId('cluster-link-k8s-a').waitFor();

    await page.getByTestId('cluster-check-k8s-a').click();
    await page.locator('[data-testid="cluster-state-k8s-a"][data-state="ready"]').waitFor();
    const stored = (await platform.api.get<ClusterBody>('/api/v1/clusters/k8s-a')).body;
    assert.equal(stored.kind, 'kubernetes');
    assert.equal(stored.exposure, 'pod-ip');
    assert.equal(stored.namespacePrefix, '');
    assert.match(stored.engineVersion ?? '', /^v\d+\.\d+/, 'the check read the API server version');
    const tag = page.getByTestId('cluster-kind-k8s-a');
    await tag.filter({ hasText: stored.engineVersion! }).waitFor();
    assert.equal(await tag.innerText(), `Kubernetes ${stored.engineVersion}`);
    assert.match(await page.getByTestId('cluster-kind-local').innerText(), /^Podman/);
    assert.ok((await overflow(page)) <= 1, 'the clusters page fits 1366 px');
  });

  void it('never shows the kubeconfig again: "set", Replace, and the exposure edited', async () => {
    const secret = kube!.token;
    const raw = await platform.api.get<ClusterBody>('/api/v1/clusters/k8s-a');
    assert.equal(raw.body.hasCredentials, true);
    assert.ok(!JSON.stringify(raw.body).includes(secret), 'the API never returns the kubeconfig');

    await page.getByTestId('cluster-link-k8s-a').click();
    await page.waitForURL(/\/clusters\/k8s-a$/);
    assert.equal(await page.getByTestId('cluster-credentials').innerText(), 'Set (write-only)');
    assert.equal(await page.getByTestId('cluster-exposure').innerText(), 'Pod IPs');
    assert.equal(await page.getByTestId('cluster-version').innerText(), raw.body.engineVersion);
    assert.equal(await page.getByTestId('cluster-publish-address').count(), 0, 'no publish address');
    assert.ok(!(await page.locator('.app-content').innerText()).includes(secret));

    await page.getByTestId('cluster-edit').click();
    await page.getByTestId('cluster-kubeconfig-set').waitFor();
    assert.equal(await page.locator('#cluster-kubeconfig').count(), 0, 'no kubeconfig field until Replace');
    assert.equal(await page.locator('#cluster-kind input[value="kubernetes"]').isChecked(), true);
    assert.equal(await page.locator('#cluster-kind input[value="podman"]').isDisabled(), true);
    assert.equal(
      await page.locator('#cluster-namespace-prefix').isDisabled(),
      true,
      'the prefix is set once',
    );
    await page.locator('#cluster-replace-kubeconfig').check();
    assert.equal(await page.locator('#cluster-kubeconfig').inputValue(), '', 'Replace starts empty');
    await page.locator('#cluster-replace-kubeconfig').uncheck();
    await page.getByTestId('cluster-exposure-node-port').click();
    await page.getByTestId('cluster-form-ok').click();
    await page.getByTestId('cluster-form').waitFor({ state: 'detached' });
    await page.locator('[data-testid="cluster-exposure"][data-exposure="node-port"]').waitFor();
    const after = (await platform.api.get<ClusterBody>('/api/v1/clusters/k8s-a')).body;
    assert.equal(after.exposure, 'node-port');
    assert.equal(after.hasCredentials, true, 'the kubeconfig was kept');
    // the edit left the credentials alone: the cluster still answers with them
    assert.equal((await platform.api.post('/api/v1/clusters/k8s-a/check')).status, 200);
    assert.equal((await platform.api.get<ClusterBody>('/api/v1/clusters/k8s-a')).body.state, 'ready');
  });

  void it('shows what to fix under the state of a cluster whose kubeconfig is refused', async () => {
    const wrong = kubeconfig.split(kube!.token).join('not-the-token');
    assert.notEqual(wrong, kubeconfig, 'the kubeconfig carries the token');
    const created = await platform.api.post('/api/v1/clusters', {
      name: 'k8s-bad',
      kind: 'kubernetes',
      endpoint: kube!.url,
      // a second registration of the same API server: a namespace prefix of its own
      namespacePrefix: 'bad',
      credentials: { kubeconfig: wrong },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await page.goto(`${platform.url}/clusters`);
    await page.getByTestId('cluster-check-k8s-bad').click();
    await page.locator('[data-testid="cluster-state-k8s-bad"][data-state="unreachable"]').waitFor();
    const shown = page.getByTestId('cluster-message-text-k8s-bad');
    const message = (await platform.api.get<{ message: string }>('/api/v1/clusters/k8s-bad')).body.message;
    assert.match(message, /refused/, 'the server says the credentials were refused');
    await shown.waitFor();
    // the row shows the server's words (two lines at most; the rest on hover)
    const text = await shown.innerText();
    assert.ok(message.startsWith(text.replace(/(…|\.\.\.)$/, '').slice(0, 30)), `${text} ≈ ${message}`);
    assert.equal(await page.getByTestId('cluster-message-text-k8s-a').count(), 0, 'a ready cluster has none');
    assert.equal((await platform.api.delete('/api/v1/clusters/k8s-bad')).status, 204);
  });

  void it("shows the service's manifests for the Kubernetes cluster, copies and downloads them", async () => {
    await page.goto(`${platform.url}${manifestsUrl}`);
    const objects = page.getByTestId('manifests-objects');
    await objects.locator('tbody tr').first().waitFor();
    assert.match(await page.getByTestId('manifests-cluster').innerText(), /k8s-a/);
    const api = (await platform.api.get<ManifestsBody>(`${manifestsApi}?cluster=k8s-a`)).body;
    assert.equal(await page.getByTestId('manifests-namespace').innerText(), api.namespace);
    const rows = await objects.locator('tbody tr').allInnerTexts();
    assert.equal(rows.length, api.objects.length);
    assert.ok(
      rows.some((r) => /^Deployment\s/.test(r)),
      `a Deployment is listed: ${rows.join(' | ')}`,
    );
    assert.ok(
      rows.some((r) => /^Service\s/.test(r)),
      `a Service is listed: ${rows.join(' | ')}`,
    );
    const yaml = await page.getByTestId('manifests-yaml').innerText();
    assert.equal(yaml.trimEnd(), api.yaml.trimEnd(), 'the YAML is what the API answers');
    assert.match(yaml, /^kind: Deployment$/m);
    assert.match(yaml, /^kind: Service$/m);
    assert.match(await page.getByTestId('manifests').innerText(), /not a cluster of this environment/);
    assert.ok((await overflow(page)) <= 1, 'the manifests tab fits 1366 px');
    await browser.screenshot('kubernetes-manifests-en', 1366, 768);

    await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: platform.url });
    await page.getByTestId('manifests-copy').click();
    await page.getByText('The YAML is on the clipboard.').waitFor();
    assert.equal(await page.evaluate<string>('navigator.clipboard.readText()'), api.yaml);

    const download = page.waitForEvent('download');
    await page.getByTestId('manifests-download').click();
    const file = await download;
    assert.equal(file.suggestedFilename(), 'shop-test-web.k8s-a.yaml');
    assert.equal(readFileSync(await file.path(), 'utf8'), api.yaml);
  });

  void it('shows the manifests and the Kubernetes cluster in Chinese', async () => {
    await page.locator('.user-menu').click();
    await page.locator('.ant-dropdown-menu-item').filter({ hasText: '中文' }).click();
    await page.goto(`${platform.url}${manifestsUrl}`);
    await page.getByTestId('manifests-objects').locator('tbody tr').first().waitFor();
    // antd spaces out two-character Chinese button labels (复 制); compare without spaces.
    const body = (await page.locator('.app-content').innerText()).replace(/ /g, '');
    for (const word of [
      '资源清单',
      'Kubernetes集群',
      '命名空间',
      '资源对象',
      '复制',
      '下载',
      '不是此环境的集群',
    ])
      assert.ok(body.includes(word), word);
    // the interface's own words: not the objects' kinds and names or the YAML (marked translate="no")
    const ui = await page.evaluate<string[]>(uiTexts);
    const english = Object.values(manifestsEn).filter((text) => /^[A-Z][a-z]+( [a-z]+)*$/.test(text));
    const found = english.filter((text) => ui.includes(text));
    assert.deepEqual(found, [], 'English UI strings on the Manifests tab');
    assert.ok((await overflow(page)) <= 1, 'the Chinese manifests tab fits 1366 px');
    await browser.screenshot('kubernetes-manifests-zh', 1366, 768);

    await page.goto(`${platform.url}/clusters/k8s-a`);
    await page.getByTestId('cluster-exposure').waitFor();
    const detail = (await page.locator('.app-content').innerText()).replace(/ /g, '');
    for (const word of ['版本', '网关访问容器组的方式', '节点端口', '已设置（只写）', '命名空间前缀'])
      assert.ok(detail.includes(word), word);
    await page.getByTestId('cluster-edit').click();
    const form = await page.getByTestId('cluster-form').innerText();
    for (const word of [
      '类型',
      '集群内模式',
      '替换 kubeconfig',
      '容器组 IP',
      '节点端口',
      '网关地址（可选）',
      '命名空间前缀（可选）',
    ])
      assert.ok(form.includes(word), word);
    const englishForm = [
      clustersEn['clusters.form.exposure'],
      clustersEn['clusters.form.kind'],
      clustersEn['clusters.form.kubeconfig.replace'],
    ].filter((text) => form.includes(text));
    assert.deepEqual(englishForm, [], 'English labels in the Chinese form');
    assert.ok((await overflow(page)) <= 1, 'the Chinese cluster page fits 1366 px');
    await browser.screenshot('kubernetes-cluster-form-zh', 1366, 768);
    await page.keyboard.press('Escape');
    await page.getByTestId('cluster-form').waitFor({ state: 'detached' });
  });

  void it('runs a service on the Kubernetes cluster: its pods are its containers, and Metrics says (in Chinese) there are no stats', async () => {
    const env = await platform.api.call('PATCH', '/api/v1/envs/test', { clusters: ['local', 'k8s-a'] });
    assert.equal(env.status, 200, JSON.stringify(env.body));
    const spec = {
      ...webSpec('v1', 2),
      logFiles: { paths: ['/var/log/app/*.log'] },
      placement: { clusters: [{ name: 'k8s-a', weight: 1 }], division: 'weighted' },
    };
    const created = await platform.api.post<{ task: { id: string } }>(
      '/api/v1/projects/shop/envs/test/services',
      {
        name: 'kweb',
        spec,
      },
    );
    assert.equal(created.status, 202, JSON.stringify(created.body));
    assert.equal((await waitTask(platform.api, created.body.task.id)).state, 'succeeded');
    await page.goto(`${platform.url}/p/shop/test/s/kweb/containers`);
    const pods = (
      await platform.api.get<{ items: { name: string; cluster: string }[] }>(
        '/api/v1/projects/shop/envs/test/services/kweb/containers',
      )
    ).body.items;
    assert.equal(pods.length, 2);
    kpods = pods.map((p) => p.name);
    for (const pod of pods) {
      assert.equal(pod.cluster, 'k8s-a');
      await page.getByText(pod.name).first().waitFor();
    }
    await page.goto(`${platform.url}/p/shop/test/s/kweb/metrics`);
    const alert = page.getByTestId('metrics-unavailable');
    await alert.waitFor();
    // the portal is in Chinese by now (the test before); the cause is the server's own words
    assert.match(await alert.innerText(), /集群 k8s-a 上的容器没有统计数据/);
    assert.match(await alert.innerText(), /metrics\.k8s\.io/);
  });

  void it('shows the cluster’s core Events in the Events tab, marked Kubernetes, in Chinese and English', async () => {
    const eventsUrl = `${platform.url}/p/shop/test/s/kweb/events`;
    // what the test API server's controllers and kubelet reported of the rollout
    const marked = async (hint: string) => {
      await page.goto(eventsUrl);
      const row = page
        .locator('tr')
        .filter({ has: page.getByTestId('event-source-kubernetes') })
        .first();
      await row.waitFor();
      assert.equal(await row.getByTestId('event-source-kubernetes').getAttribute('title'), hint);
      const text = await row.innerText();
      assert.match(text, /(Deployment\/kweb|ReplicaSet\/kweb-|Pod\/kweb-)/);
    };
    // the portal is in Chinese by now (the tests before)
    await marked(zhCN['events.fromKubernetesHint']);
    assert.match(await page.locator('.app-content').innerText(), /类型/);
    await browser.screenshot('kubernetes-events-zh', 1366, 768);
    await page.evaluate("localStorage.setItem('berth.lang', 'en')");
    await marked(en['events.fromKubernetesHint']);
    // Berth's own events are there too, without the mark
    await page.getByText('WorkloadApplied').first().waitFor();
    const berthRow = page.locator('tr').filter({ hasText: 'WorkloadApplied' }).first();
    assert.equal(await berthRow.getByTestId('event-source-kubernetes').count(), 0);
    await page.evaluate("localStorage.setItem('berth.lang', 'zh-CN')");
  });

  void it('opens a debug shell in an ephemeral container of a pod; closing the window kills it, and it stays in the pod terminated', async () => {
    const pod = kpods[0]!;
    const namespace = (await platform.api.get<ManifestsBody>(`${kwebApi}/manifests?cluster=k8s-a`)).body
      .namespace;
    const terminal = () => page.locator('.xterm-rows').innerText();
    await page.evaluate("localStorage.setItem('berth.lang', 'en')");
    await page.goto(`${platform.url}/p/shop/test/s/kweb/containers`);
    await page.getByTestId(`debug-${pod}`).click();
    await page.getByText(`Debug container beside ${pod}`).waitFor();
    await page.locator('[data-testid="shell"][data-phase="open"]').waitFor({ timeout: 60_000 });
    // the banner names the ephemeral container as Kubernetes shows it, the image the cluster
    // pulled, and says how it ends there (compared without spaces: the terminal wraps lines)
    const open = await platform.api.get<{ items: { ephemeral?: { pod: string; container: string } }[] }>(
      `${kwebApi}/containers/${pod}/debug`,
    );
    const ephemeral = open.body.items[0]?.ephemeral;
    assert.deepEqual(ephemeral && { ...ephemeral, container: '' }, { pod, container: '' }, 'the pod');
    const name = ephemeral!.container;
    assert.match(name, /^debug-[0-9a-z]+$/);
    const squeezed = async () => (await terminal()).replace(/\s+/g, '');
    for (const words of [
      `Ephemeral container ${name} (${toolbox}) in pod ${pod}, beside its app container`,
      'Kubernetes cannot remove an ephemeral container',
      'stays in the pod, terminated',
    ])
      assert.ok((await squeezed()).includes(words.replace(/\s+/g, '')), `${words} in ${await terminal()}`);
    // what Kubernetes holds: an ephemeral container of the pod, aimed at the app container
    const spec = (await kubePod(namespace, pod)).spec as {
      ephemeralContainers?: { name: string; image: string; targetContainerName?: string }[];
    };
    assert.deepEqual(
      spec.ephemeralContainers?.map((c) => [c.name, c.image, c.targetContainerName]),
      [[name, toolbox, 'app']],
    );
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('echo hi-from-ephemeral\n');
    await eventually(
      async () => /^hi-from-ephemeral\s*$/m.test(await terminal()),
      'the command output in the terminal',
    );
    await browser.screenshot('kubernetes-debug-en', 1366, 768);
    await page.locator('.ant-modal-close').click();
    // it cannot be removed: its process is killed, and the pod keeps it, terminated
    const ended = await eventually(async () => {
      const statuses = (await kubePod(namespace, pod)).status.ephemeralContainerStatuses as
        { name: string; state: { terminated?: { exitCode: number } } }[] | undefined;
      return statuses?.find((c) => c.name === name)?.state.terminated;
    }, 'the ephemeral container terminated');
    assert.equal(ended.exitCode, 143);
    const sessions = await platform.api.get<{
      items: { ephemeral?: { container: string }; endReason: string | null }[];
    }>(`${kwebApi}/containers/${pod}/debug?all=true`);
    assert.deepEqual(
      sessions.body.items.map((d) => [d.ephemeral?.container, d.endReason]),
      [[name, 'shell-exited']],
    );
    // the containers tab still lists the two pods: a debug container is never a replica
    await page.getByTestId(`debug-${kpods[1]!}`).waitFor();
    assert.equal(await page.locator('[data-testid^="debug-"]').count(), 2);
  });

  void it('browses a pod’s files through tar, views and downloads one, follows and collects its log file (in Chinese)', async () => {
    const pod = kpods[0]!;
    await page.evaluate("localStorage.setItem('berth.lang', 'zh-CN')");
    await page.goto(`${platform.url}/p/shop/test/s/kweb/containers`);
    // its help says what Kubernetes needs: tar in the image
    assert.match((await page.getByTestId(`files-${pod}`).getAttribute('title')) ?? '', /需要有 tar/);
    await page
      .getByTestId(`files-${pod}`)
      .filter({ hasText: /^文\s?件$/ }) // antd spaces two-character labels
      .click();
    await page.getByText(`${pod} 的文件`).waitFor();
    const table = page.getByTestId('files-table');
    await table.getByRole('button', { name: 'srv/' }).click();
    await page.getByTestId('files-path').getByText('srv').waitFor();
    const row = table.locator('tr').filter({ hasText: 'index.html' });
    await row.getByRole('button', { name: /^查\s?看$/ }).click();
    await page.getByTestId('file-view').filter({ hasText: 'v1 served from a pod' }).waitFor();
    const download = page.waitForEvent('download');
    await row.locator('a[href*="download=true"]').click();
    const file = await download;
    assert.equal(file.suggestedFilename(), 'index.html');
    assert.equal(readFileSync(await file.path(), 'utf8'), 'v1 served from a pod\n');

    // the log file the service declares (spec.logFiles), followed while the app appends
    await page.getByLabel('路径').fill('/var/log/app');
    await page.getByLabel('路径').press('Enter');
    await page.getByTestId('follow-app.log').click();
    await page.getByText('正在跟踪 /var/log/app/app.log').waitFor();
    await page.getByTestId('file-view').filter({ hasText: 'started' }).waitFor();
    appendFileSync(path.join(podRoot, 'var/log/app/app.log'), 'a line appended while followed\n');
    await page.getByTestId('file-view').filter({ hasText: 'a line appended while followed' }).waitFor();
    const body = (await page.locator('.app-content').innerText()).replace(/ /g, '');
    for (const word of ['名称', '大小', '权限', '修改时间', '停止', '已收集日志'])
      assert.ok(body.includes(word), word);
    await browser.screenshot('kubernetes-files-zh', 1366, 768);
    await page.getByTestId('files-stop').click();
    // and Berth collected it from the pod
    await page.getByRole('tab', { name: '已收集日志' }).click();
    await page
      .getByTestId('collected-table')
      .getByText('var/log/app/app.log', { exact: true })
      .waitFor({ timeout: 30_000 });
  });

  void it('logged no unexpected console errors', () => {
    const problems = unexpectedProblems(browser.problems, [
      { urlEnds: '/api/v1/me', status: 401 },
      // the http:// endpoint refused on purpose
      { urlEnds: '/api/v1/clusters', status: 400 },
    ]);
    assert.deepEqual(problems, []);
  });
});
