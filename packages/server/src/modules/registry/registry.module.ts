import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { SecretBox } from '../../crypto/secret-box';
import { TaskRepository } from '../tasks/tasks.repository';
import { ImagesService } from './images.service';
import { registerImageRoutes } from './images.routes';
import { RegistriesRepository } from './registries.repository';
import { RegistriesService } from './registries.service';
import { registerRegistryRoutes } from './registries.routes';
import { RegistryAccess } from './registry-access';
import { RegistryGc } from './registry-gc';
import { registerRegistryTokenRoute } from './registry-token.routes';
import { tokensOfConfig } from './registry-tokens';

export {
  RegistryClient,
  RegistryHttpError,
  RegistryUnreachableError,
  manifestAccept,
} from './registry-client';
export type { RegistryCredentials, Manifest, ImageConfig } from './registry-client';
export { parseImageRef, type ImageRef } from './image-ref';
export { RegistriesService, embeddedBearer } from './registries.service';
export { RegistryAccess, localStoreRegistry } from './registry-access';
export { pullCredentialFor, tokensOfConfig, type RegistryTokens } from './registry-tokens';

/** What the registry module offers other modules (codeflow pushes, engines pull). */
export interface RegistryModule {
  registries: RegistriesService;
  images: ImagesService;
  access: RegistryAccess;
}

/** A RegistriesService over the store, for modules that need credentials without the routes. */
export function registriesOf(ctx: Pick<AppContext, 'db' | 'config'>): RegistriesService {
  return new RegistriesService(
    new RegistriesRepository(ctx.db),
    SecretBox.fromDataDir(ctx.config.dataDir),
    ctx.config,
  );
}

/** Registries and image management; keeps the embedded registry's row in step with the config. */
export async function createRegistryModule(ctx: AppContext, routes: RouteRegistry): Promise<RegistryModule> {
  const repo = new RegistriesRepository(ctx.db);
  const registries = new RegistriesService(repo, SecretBox.fromDataDir(ctx.config.dataDir), ctx.config);
  await registries.syncEmbedded();
  const access = new RegistryAccess(ctx);
  const images = new ImagesService(ctx, registries, access);
  registerRegistryRoutes(routes, repo, registries, access);
  registerRegistryTokenRoute(routes, ctx, access, tokensOfConfig(ctx.config));
  registerImageRoutes(routes, images, new RegistryGc(ctx, new TaskRepository(ctx.db), registries));
  return { registries, images, access };
}
