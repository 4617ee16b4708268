import { Skeleton } from 'antd';

/**
 * The placeholder while a page's first data loads, shaped like a header and a table, in a box
 * drawn like antd's Card (the Card itself would bring Tabs into every page's first load).
 */
export function PageSkeleton() {
  return (
    <div className="page-skeleton">
      <Skeleton active title paragraph={{ rows: 6 }} />
    </div>
  );
}
