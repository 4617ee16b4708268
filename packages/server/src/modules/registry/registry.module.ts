import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { SecretBox } from '../../crypto/secret-box';
import { RegistriesRepository } from './registries.repository';
import { RegistriesService } from './registries.service';
import { registerRegistryRoutes } from './registries.routes';

export {
  RegistryClient,
  RegistryHttpError,
  RegistryUnreachableError,
  manifestAccept,
} from './registry-client';
export type { RegistryCredentials, Manifest, ImageConfig } from './registry-client';
export { parseImageRef, type ImageRef } from './image-ref';

/** What the registry module offers other modules (codeflow pushes, engines pull). */
export interface RegistryModule {
  registries: RegistriesService;
}

/** Registries and image management; keeps the embedded registry's row in step with the config. */
export async function createRegistryModule(ctx: AppContext, routes: RouteRegistry): Promise<RegistryModule> {
  const repo = new RegistriesRepository(ctx.db);
  const registries = new RegistriesService(repo, SecretBox.fromDataDir(ctx.config.dataDir), ctx.config);
  await registries.syncEmbedded();
  registerRegistryRoutes(routes, repo, registries);
  return { registries };
}

/** A RegistriesService over the store, for modules that need credentials without the routes. */
export function registriesOf(ctx: Pick<AppContext, 'db' | 'config'>): RegistriesService {
  return new RegistriesService(
    new RegistriesRepository(ctx.db),
    SecretBox.fromDataDir(ctx.config.dataDir),
    ctx.config,
  );
}
