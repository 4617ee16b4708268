import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pipeline } from '@berth/shared';
import {
  pipelineFieldFor,
  switchTemplate,
  templateDefaults,
  toCreateRequest,
  toFormValues,
  toUpdateRequest,
} from './pipeline-form';

const stored: Pipeline = {
  id: 'p1',
  name: 'web',
  project: 'shop',
  target: { env: 'test', service: 'api' },
  repo: {
    url: 'https://git.example.com/shop/api.git',
    ref: 'main',
    credentials: { kind: 'token', isSet: true },
  },
  template: 'node',
  preScript: 'npm ci',
  buildScript: 'npm test',
  artifactPath: '.',
  startCommand: 'node server.js',
  port: 3000,
  dockerfile: '',
  timeoutSeconds: 600,
  webhook: { url: '/api/v1/hooks/pipelines/p1/gitlab', secretIsSet: false },
  version: 4,
  createdAt: '2026-01-01T00:00:00Z',
  createdBy: 'alice',
  updatedAt: '2026-01-01T00:00:00Z',
  updatedBy: 'alice',
};

describe('pipeline form', () => {
  it('maps API error paths to the form fields they name', () => {
    assert.equal(pipelineFieldFor('repo.url'), 'repoUrl');
    assert.equal(pipelineFieldFor('body.target.service'), 'targetService');
    assert.equal(pipelineFieldFor('repo.credentials.token'), 'credToken');
    assert.equal(pipelineFieldFor('repo.credentials'), 'credKind');
    assert.equal(pipelineFieldFor('timeoutSeconds'), 'timeoutSeconds');
    assert.equal(pipelineFieldFor('version'), null);
  });

  it('switching template replaces defaults and empty fields but keeps what the user typed', () => {
    const typed = { ...templateDefaults.node, buildScript: 'npm run bundle' };
    const next = switchTemplate(typed, 'node', 'python');
    assert.equal(next.preScript, templateDefaults.python.preScript);
    assert.equal(next.startCommand, templateDefaults.python.startCommand);
    assert.equal(next.buildScript, 'npm run bundle');
    assert.match(switchTemplate(typed, 'node', 'dockerfile').dockerfile, /^FROM /);
  });

  it('keeps stored credentials on update unless the user replaces them', () => {
    const values = toFormValues(stored, 'test');
    assert.equal(values.replaceCredentials, false);
    const keep = toUpdateRequest(values, stored);
    assert.equal(keep.version, 4);
    assert.equal(keep.repo.credentials, undefined);
    const replaced = toUpdateRequest({ ...values, replaceCredentials: true, credToken: 's3cret' }, stored);
    assert.deepEqual(replaced.repo.credentials, { kind: 'token', token: 's3cret' });
    const dropped = toUpdateRequest({ ...values, credKind: 'none' }, stored);
    assert.deepEqual(dropped.repo.credentials, { kind: 'none' });
  });

  it('builds a create request with trimmed values', () => {
    const req = toCreateRequest({
      ...toFormValues(null, 'test'),
      name: ' web ',
      targetService: 'api ',
      repoUrl: ' /srv/git/app.git',
      artifactPath: '',
      credKind: 'deploy-key',
      credKey: 'KEY',
    });
    assert.equal(req.name, 'web');
    assert.deepEqual(req.target, { env: 'test', service: 'api' });
    assert.equal(req.repo.url, '/srv/git/app.git');
    assert.equal(req.artifactPath, '.');
    assert.deepEqual(req.repo.credentials, { kind: 'deploy-key', privateKey: 'KEY' });
  });
});
