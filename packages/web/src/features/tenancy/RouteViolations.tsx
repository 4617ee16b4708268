import { Tag, Typography } from 'antd';
import type { Route } from '@berth/shared';
import { useI18n } from '../../i18n/I18nProvider';

/**
 * The tenancy rules a stored route breaks (a zone removed, a route from before the rules): a
 * warning tag per rule with the server's message. Such routes keep working; they are not deleted.
 */
export function RouteViolations({ route }: { route: Route }) {
  const { t } = useI18n();
  const violations = route.violations ?? [];
  if (violations.length === 0) return null;
  return (
    <div data-testid={`route-violations-${route.name}`}>
      {violations.map((v) => (
        <div key={v.rule + v.message}>
          <Tag color="warning" title={v.message}>
            {t(`tenancy.rule.${v.rule}`)}
          </Tag>
          <Typography.Text type="warning" style={{ fontSize: 12 }}>
            {v.message}
          </Typography.Text>
        </div>
      ))}
    </div>
  );
}
