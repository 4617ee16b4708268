import { Card, Skeleton } from 'antd';

/** The placeholder while a page's first data loads, shaped like a header and a table. */
export function PageSkeleton() {
  return (
    <Card>
      <Skeleton active title paragraph={{ rows: 6 }} />
    </Card>
  );
}
