import type { AppContext } from '../../http/context';
import type { TaskRepository } from '../tasks/tasks.repository';
import type { BuildQueue } from './build-queue';
import type { CodeflowRepository } from './codeflow.repository';
import type { CodeflowService } from './codeflow.service';

/** What codeflow's routes share. */
export interface CodeflowDeps {
  ctx: AppContext;
  repo: CodeflowRepository;
  tasks: TaskRepository;
  service: CodeflowService;
  queue: BuildQueue;
}
