import { Alert, Typography } from 'antd';
import type { RouteWriteProblem } from './route-errors';

/** The alert above a route form or panel: what failed and, for a refusal, what Nginx said. */
export function RouteWriteAlert({ problem }: { problem: RouteWriteProblem | null }) {
  if (!problem) return null;
  const body = (
    <>
      {problem.nginx ? (
        <pre className="route-nginx-error" data-testid="route-nginx-error">
          {problem.nginx}
        </pre>
      ) : null}
      {problem.lines.map((l) => (
        <Typography.Paragraph key={l} style={{ margin: 0 }}>
          {l}
        </Typography.Paragraph>
      ))}
    </>
  );
  return (
    <Alert
      type="error"
      showIcon
      style={{ marginBottom: 16 }}
      data-testid="route-error"
      title={problem.title}
      description={problem.nginx || problem.lines.length ? body : undefined}
    />
  );
}
