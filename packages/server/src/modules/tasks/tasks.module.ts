import type { AppContext } from '../../http/context';
import type { RouteRegistry } from '../../http/route';
import { TaskRepository } from './tasks.repository';
import { registerTaskRoutes } from './tasks.routes';

/** Tasks: the record of long operations (rollouts, builds, GC) and the API that follows them. */
export interface TasksModule {
  repo: TaskRepository;
  registerRoutes(registry: RouteRegistry): void;
}

export function createTasksModule(ctx: AppContext): TasksModule {
  const repo = new TaskRepository(ctx.db);
  return { repo, registerRoutes: (registry) => registerTaskRoutes(registry, ctx, repo) };
}
