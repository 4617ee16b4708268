/**
 * Strings of the project's Certificates page and the route form's certificate picker. Spread
 * into the portal's dictionaries (i18n/en.ts, i18n/zh-CN.ts); terms: certificate 证书,
 * private key 私钥, renew 续期.
 */
export const certificatesEn = {
  'certs.title': 'Certificates',
  'certs.help':
    "TLS certificates of project {project}. Only this project's routes can use them; private keys are sealed and never shown again.",
  'certs.add': 'Upload certificate',
  'certs.renew': 'Renew',
  'certs.renew.title': 'Renew certificate {name}',
  'certs.remove': 'Delete',
  'certs.remove.confirm': 'Delete certificate {name}? This cannot be undone.',
  'certs.removed': 'Certificate {name} deleted.',
  'certs.added': 'Certificate uploaded.',
  'certs.renewed': 'Certificate {name} renewed; gateways using it applied the new files.',
  'certs.empty': 'No certificates yet. Upload one to serve HTTPS on a route.',
  'certs.col.name': 'Name',
  'certs.col.sans': 'Names (SANs)',
  'certs.col.expires': 'Expires',
  'certs.col.usedBy': 'Used by',
  'certs.col.issuer': 'Issuer',
  'certs.col.actions': 'Actions',
  'certs.expired': 'expired',
  'certs.daysLeft': '{n} days left',
  'certs.notCovered': 'host not covered',
  'certs.unused': 'not used',
  'certs.field.name': 'Name',
  'certs.field.name.required': 'Enter a name (lowercase letters, digits and -).',
  'certs.field.certificate': 'Certificate chain (PEM, leaf first)',
  'certs.field.certificate.required': 'Paste or load the PEM certificate.',
  'certs.field.key': 'Private key (PEM, unencrypted)',
  'certs.field.key.required': 'Paste or load the PEM private key.',
  'certs.field.loadFile': 'Load from file',
  'certs.select.placeholder': 'No TLS',
  'certs.select.none': 'This project has no certificates yet.',
  'certs.select.manage': 'Manage certificates',
  'certs.select.legacy':
    'This route uses files of the shared certificate directory (set by a platform admin). Pick a certificate of the project to replace them.',
};
