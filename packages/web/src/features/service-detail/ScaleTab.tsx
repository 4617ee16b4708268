import { Suspense, useEffect, useState } from 'react';
import { lazyChunk } from '../../app/lazy-chunk';
import { Button, Card, InputNumber, Slider, Space, Typography } from 'antd';
import type { Service } from '@berth/shared';
import type { ServiceRef } from '../../api/paths';
import { scaleService } from '../../api/resources';
import { useI18n } from '../../i18n/I18nProvider';
import { useServiceAction } from './useServiceAction';

// The autoscaling card (settings form, decision charts) loads when the Scale tab opens.
const AutoscaleCard = lazyChunk(() =>
  import('../autoscale/AutoscaleCard').then((m) => ({ default: m.AutoscaleCard })),
);

/** Scale out / in: pick a replica count (slider or number) and apply it. */
export function ScaleTab({ service, serviceRef }: { service: Service; serviceRef: ServiceRef }) {
  const { t } = useI18n();
  const [replicas, setReplicas] = useState(service.replicas);
  // Follow changes made elsewhere (CLI, another tab) until the user starts editing.
  const [touched, setTouched] = useState(false);
  useEffect(() => {
    if (!touched) setReplicas(service.replicas);
  }, [service.replicas, touched]);
  const scale = useServiceAction((n: number) => scaleService(serviceRef, n));
  const change = (n: number | null) => {
    setTouched(true);
    setReplicas(n ?? 0);
  };
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card title={t('scale.title')} style={{ maxWidth: 640 }}>
        <Typography.Paragraph>
          {t('scale.current', { ready: service.readyReplicas, wanted: service.replicas })}
        </Typography.Paragraph>
        <Slider min={0} max={20} value={Math.min(replicas, 20)} onChange={change} />
        <Space>
          <Typography.Text>{t('scale.replicas')}</Typography.Text>
          <InputNumber
            min={0}
            max={100}
            value={replicas}
            onChange={change}
            data-testid="scale-input"
            id="scale-input"
          />
          <Button
            type="primary"
            loading={scale.isPending}
            disabled={replicas === service.replicas}
            data-testid="scale-apply"
            onClick={() => scale.mutate(replicas, { onSuccess: () => setTouched(false) })}
          >
            {t('scale.apply')}
          </Button>
        </Space>
        {replicas === service.replicas && touched ? (
          <Typography.Paragraph type="secondary">{t('scale.same')}</Typography.Paragraph>
        ) : null}
      </Card>
      <Suspense fallback={null}>
        <AutoscaleCard serviceRef={serviceRef} replicas={service.replicas} />
      </Suspense>
    </Space>
  );
}
