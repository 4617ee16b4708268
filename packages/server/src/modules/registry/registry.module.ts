import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { SecretBox } from '../../crypto/secret-box';
import { TaskRepository } from '../tasks/tasks.repository';
import { ImagesService } from './images.service';
import { registerImageRoutes } from './images.routes';
import { RegistriesRepository } from './registries.repository';
import { RegistriesService } from './registries.service';
import { registerRegistryRoutes } from './registries.routes';
import { RegistryGc } from './registry-gc';

export {
  RegistryClient,
  RegistryHttpError,
  RegistryUnreachableError,
  manifestAccept,
} from './registry-client';
export type { RegistryCredentials, Manifest, ImageConfig } from './registry-client';
export { parseImageRef, type ImageRef } from './image-ref';
export { RegistriesService } from './registries.service';

/** What the registry module offers other modules (codeflow pushes, engines pull). */
export interface RegistryModule {
  registries: RegistriesService;
  images: ImagesService;
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
  const images = new ImagesService(ctx, registries);
  registerRegistryRoutes(routes, repo, registries);
  registerImageRoutes(routes, images, new RegistryGc(ctx, new TaskRepository(ctx.db), registries));
  return { registries, images };
}
