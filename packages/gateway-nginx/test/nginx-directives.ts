/**
 * A small tokenizer of Nginx configuration text for tests: returns the name of every directive,
 * skipping the entries of `map`, `split_clients` and `types` blocks (they are data, not directives).
 */
export function directiveNames(text: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  let current: string[] = [];
  let i = 0;
  const dataBlock = () => ['map', 'split_clients', 'types'].includes(stack[stack.length - 1] ?? '');
  const flush = (opener: boolean) => {
    if (current.length > 0 && !dataBlock()) names.push(current[0]!);
    if (opener) stack.push(current[0] ?? '');
    current = [];
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (/\s/.test(c)) {
      i += 1;
    } else if (c === ';') {
      flush(false);
      i += 1;
    } else if (c === '{') {
      flush(true);
      i += 1;
    } else if (c === '}') {
      flush(false);
      stack.pop();
      i += 1;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      current.push(text.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s;{}"']/.test(text[j]!)) j += 1;
      current.push(text.slice(i, j));
      i = j;
    }
  }
  return names;
}

/** Every directive the renderer may produce. Anything else in a rendered file is an injection. */
export const rendererDirectives = new Set([
  'daemon',
  'worker_processes',
  'worker_shutdown_timeout',
  'pid',
  'error_log',
  'events',
  'worker_connections',
  'http',
  'access_log',
  'server_tokens',
  'client_body_temp_path',
  'proxy_temp_path',
  'fastcgi_temp_path',
  'uwsgi_temp_path',
  'scgi_temp_path',
  'server_names_hash_max_size',
  'server_names_hash_bucket_size',
  'map_hash_max_size',
  'map_hash_bucket_size',
  'variables_hash_max_size',
  'proxy_http_version',
  'proxy_set_header',
  'proxy_next_upstream',
  'proxy_next_upstream_tries',
  'proxy_connect_timeout',
  'proxy_read_timeout',
  'proxy_send_timeout',
  'map',
  'include',
  'split_clients',
  'limit_req_zone',
  'server',
  'listen',
  'server_name',
  'location',
  'if',
  'return',
  'proxy_pass',
  'set',
  'allow',
  'deny',
  'limit_req',
  'limit_req_status',
  'client_max_body_size',
  'add_header',
  'ssl_certificate',
  'ssl_certificate_key',
  'upstream',
]);
