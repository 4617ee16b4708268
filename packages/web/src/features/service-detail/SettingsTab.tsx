import { Space } from 'antd';
import type { Service } from '@berth/shared';
import type { ServiceRef } from '../../api/paths';
import { EditServiceForm } from '../services/EditServiceForm';
import { DeleteServiceCard } from './DeleteServiceCard';

/** Settings: edit every field of the spec (with a preview of the change), and delete. */
export function SettingsTab({ service, serviceRef }: { service: Service; serviceRef: ServiceRef }) {
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <EditServiceForm service={service} serviceRef={serviceRef} />
      <DeleteServiceCard serviceRef={serviceRef} />
    </Space>
  );
}
