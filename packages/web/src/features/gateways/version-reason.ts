import type { MessageKey } from '../../i18n/en';
import type { Translate } from '../../i18n/I18nProvider';

/**
 * The reasons Berth writes itself when a change has none (gateway applier, controller, routes
 * and admin API), so they read in the user's language. A reason a user typed is shown as typed.
 */
const machineReasons: Array<[RegExp, MessageKey]> = [
  [/^endpoints changed$/, 'gateways.reason.endpoints'],
  [/^services changed$/, 'gateways.reason.services'],
  [/^create route (\S+)$/, 'gateways.reason.createRoute'],
  [/^update route (\S+)$/, 'gateways.reason.updateRoute'],
  [/^delete route (\S+)$/, 'gateways.reason.deleteRoute'],
  [/^canary on (\S+)$/, 'gateways.reason.canary'],
  [/^abort canary of (\S+)$/, 'gateways.reason.abortCanary'],
  [/^promote canary of (\S+)$/, 'gateways.reason.promoteCanary'],
  [/^rollback to version (\d+)$/, 'gateways.reason.rollback'],
  [/^set snippets of (\S+)$/, 'gateways.reason.snippets'],
  [/^create gateway (\S+)$/, 'gateways.reason.createGateway'],
  [/^update gateway (\S+)$/, 'gateways.reason.updateGateway'],
];

export function reasonText(t: Translate, reason: string): string {
  for (const [pattern, key] of machineReasons) {
    const m = pattern.exec(reason);
    if (m) return t(key, { name: m[1] ?? '' });
  }
  return reason;
}

/** "system" (Berth itself) in the user's language; user names as they are. */
export function authorText(t: Translate, author: string): string {
  return author === 'system' ? t('gateways.version.system') : author;
}
