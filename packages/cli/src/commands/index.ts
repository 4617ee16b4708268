import type { CommandDef } from '../context';
import { actionCommands } from './actions';
import { alertRuleCommands } from './alert-rules';
import { alertCommands } from './alerts';
import { probeCommands } from './probes';
import { appCommands } from './apps';
import { appImageCommands } from './apps-images';
import { appBackupCommands } from './apps-backups';
import { auditCommands } from './audit';
import { autoscaleCommands } from './autoscale';
import { authCommands } from './auth';
import { certificateCommands } from './certificates';
import { clusterCommands } from './clusters';
import { configCommands } from './configs';
import { containerCommands } from './containers';
import { cronJobCommands } from './cronjobs';
import { debugCommands } from './debug';
import { entryPointCommands } from './entry-points';
import { execCommands } from './exec';
import { fileCommands } from './files';
import { fleetCommands } from './fleet';
import { gatewayCommands } from './gateways';
import { gatewayVipCommands } from './gateway-vip';
import { identityCommands } from './identity';
import { imageCommands } from './images';
import { installCommands } from './install';
import { pipelineCommands } from './pipelines';
import { placementCommands } from './placement';
import { quotaCommands } from './quotas';
import { serviceCommands } from './services';
import { streamCommands } from './streams';
import { taskCommands } from './tasks';
import { tenancyCommands } from './tenancy';
import { volumeCommands } from './volumes';

/** Every command of the CLI, in the order `berth --help` lists them. */
export const commands: readonly CommandDef[] = [
  ...authCommands,
  ...serviceCommands,
  ...placementCommands,
  ...autoscaleCommands,
  ...actionCommands,
  ...containerCommands,
  ...fileCommands,
  ...streamCommands,
  ...execCommands,
  ...debugCommands,
  ...taskCommands,
  ...identityCommands,
  ...auditCommands,
  ...imageCommands,
  ...gatewayCommands,
  ...gatewayVipCommands,
  ...entryPointCommands,
  ...tenancyCommands,
  ...certificateCommands,
  ...quotaCommands,
  ...configCommands,
  ...volumeCommands,
  ...cronJobCommands,
  ...alertRuleCommands,
  ...alertCommands,
  ...probeCommands,
  ...appCommands,
  ...appImageCommands,
  ...appBackupCommands,
  ...clusterCommands,
  ...fleetCommands,
  ...pipelineCommands,
  ...installCommands,
];
