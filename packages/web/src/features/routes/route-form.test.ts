import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Route } from '@berth/shared';
import { routeFieldFor, toFormValues, toRouteSpec } from './route-form';

describe('route form', () => {
  it('maps API error paths to the form fields they name', () => {
    assert.equal(routeFieldFor('name'), 'name');
    assert.equal(routeFieldFor('spec.host'), 'host');
    assert.deepEqual(routeFieldFor('spec.backends.servers.1.address'), ['backends', 'servers', 1, 'address']);
    assert.deepEqual(routeFieldFor('spec.backends.service.name'), ['backends', 'service', 'name']);
    assert.deepEqual(routeFieldFor('spec.backends'), ['backends', 'service', 'name']);
    assert.deepEqual(routeFieldFor('spec.headers.0.value'), ['headers', 0, 'value']);
    assert.equal(routeFieldFor('spec.allow.3'), 'allow');
    assert.deepEqual(routeFieldFor('spec.tls.certificate'), ['tls', 'certificate']);
    assert.deepEqual(routeFieldFor('spec.redirect'), ['redirectMode']);
    assert.deepEqual(routeFieldFor('spec.redirect.url'), ['redirect', 'url']);
    assert.equal(routeFieldFor('spec.unknownField'), null);
    assert.equal(routeFieldFor('version'), null);
  });

  it('sends only what the user set, so the API applies its defaults', () => {
    const spec = toRouteSpec({
      ...toFormValues(null),
      name: 'api',
      host: ' Shop.Example.Test ',
      backends: {
        service: { name: 'web', port: null },
        servers: [{ address: '10.0.0.5:8080', weight: 3 }, {}],
      },
      timeouts: { readSeconds: 30, connectSeconds: null },
      allow: [' 10.0.0.0/8 ', ''],
      headers: [{ name: 'X-Rev', value: '1' }, { name: '' }],
    });
    assert.deepEqual(spec, {
      host: 'shop.example.test',
      pathPrefix: '/',
      backends: { service: { name: 'web' }, servers: [{ address: '10.0.0.5:8080', weight: 3 }] },
      websocket: false,
      headers: [{ name: 'X-Rev', value: '1' }],
      allow: ['10.0.0.0/8'],
      deny: [],
      timeouts: { readSeconds: 30 },
    });
  });

  it('round-trips a route with every option through the form', () => {
    const spec = {
      host: 'a.example.test',
      pathPrefix: '/api/',
      backends: { service: { name: 'web', port: 8080 }, servers: [{ address: '10.0.0.5:80', weight: 2 }] },
      tls: { certificate: 'a.crt', key: 'a.key' },
      timeouts: { connectSeconds: 5, readSeconds: 60, sendSeconds: 60 },
      maxBodyMiB: 10,
      websocket: true,
      headers: [{ name: 'X-Frame-Options', value: 'DENY' }],
      redirect: { url: 'https://b.example.test/', code: '301' as const },
      allow: ['10.0.0.0/8'],
      deny: ['10.1.0.0/16'],
      rateLimit: { requestsPerSecond: 10, burst: 5 },
      health: { maxFails: 2, failTimeoutSeconds: 20, nextUpstream: false },
    };
    const route = { name: 'api', spec, canary: null, version: 1 } as unknown as Route;
    assert.deepEqual(toRouteSpec(toFormValues(route)), spec);
  });
});
