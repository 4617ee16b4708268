import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { SecretBox } from '../../crypto/secret-box';
import type { GatewaysModule } from '../gateways/gateways.module';
import { CertificateFiles } from './certificate-files';
import { CertificatesRepository } from './certificates.repository';
import { registerCertificateRoutes } from './certificates.routes';
import { CertificatesService } from './certificates.service';

/**
 * The per-project certificate store: its API, and the gateways' access to it (routes name its
 * certificates; local nodes and agents get their files). Mounted after the gateways module.
 */
export function createCertificatesModule(
  ctx: AppContext,
  registry: RouteRegistry,
  gateways: GatewaysModule,
): CertificatesService {
  const repo = new CertificatesRepository(ctx.db);
  const secrets = SecretBox.fromDataDir(ctx.config.dataDir);
  const files = new CertificateFiles(repo, secrets, (user) =>
    ctx.auth.authorize({ name: user, via: 'token', csrfToken: null }, 'platform:admin', { kind: 'platform' }),
  );
  gateways.service.certificates = files;
  gateways.nodes.certificates = files;
  const service = new CertificatesService(
    repo,
    secrets,
    files,
    gateways.service.planOptions.certDir,
    gateways.certificates,
  );
  registerCertificateRoutes(registry, service);
  return service;
}
