import { snippetProblem } from '@berth/shared';
import { RenderError, type RenderSnippet } from './render-model';

/*
 * The only ways a value reaches the rendered text. Values are validated by the shared schemas
 * already; these checks are the second wall: whatever slips through a schema still cannot end a
 * directive, open a block, expand a variable or start a new line.
 */

// Printable ASCII without: " ' \ $ ; { } and backtick. Space is allowed inside quotes.
const safeQuoted = /^[A-Za-z0-9 !#%&()*+,\-./:<=>?@[\]^_|~]*$/;
const ident = /^[a-z][a-z0-9_]{0,100}$/;
const maxValue = 1024;

/** A double-quoted string token; throws on anything that could escape the quotes. */
export function quote(value: string, field: string): string {
  if (value.length > maxValue) throw new RenderError(`${field} is longer than ${maxValue} characters`, field);
  if (!safeQuoted.test(value))
    throw new RenderError(`${field} contains a character that is not allowed`, field);
  return `"${value}"`;
}

/** A bare identifier (pool, zone and variable names the renderer makes). */
export function identifier(value: string, field: string): string {
  if (!ident.test(value))
    throw new RenderError(`${field} "${value.slice(0, 40)}" is not an identifier`, field);
  return value;
}

/** A non-negative integer. */
export function integer(value: number, field: string): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RenderError(`${field} must be an integer`, field);
  return String(value);
}

/** HOST:PORT for a listen or server directive (IPv4, or a DNS name for listen). */
export function address(value: string, field: string): string {
  if (!/^[a-z0-9.-]{1,253}:\d{1,5}$/.test(value) || Number(value.split(':')[1]) > 65535) {
    throw new RenderError(`${field} must be HOST:PORT`, field);
  }
  return value;
}

/** An IPv4 CIDR or address for allow/deny. */
export function cidr(value: string, field: string): string {
  if (!/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(value))
    throw new RenderError(`${field} is not a CIDR`, field);
  return value;
}

/** The Nginx variable name of a request header: X-Canary → $http_x_canary. */
export function headerVariable(name: string, field: string): string {
  if (!/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(name))
    throw new RenderError(`${field} is not a header name`, field);
  return `$http_${name.toLowerCase().replace(/-/g, '_')}`;
}

/** The Nginx variable name of a cookie. */
export function cookieVariable(name: string, field: string): string {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new RenderError(`${field} is not a cookie name`, field);
  return `$cookie_${name}`;
}

/** A certificate file name resolved inside the certificate directory; never a path. */
export function certPath(dir: string, file: string, field: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/.test(file) || file.includes('..')) {
    throw new RenderError(`${field} must be a file name in the certificate directory`, field);
  }
  return quote(`${dir}/${file}`, field);
}

/** A per-project certificate file: `<dir>/<project>/<name>.<id>.<ext>`, each part checked. */
export function projectCertPath(
  dir: string,
  c: { project: string; name: string; id: string },
  ext: 'crt' | 'key',
  field: string,
): string {
  const label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
  if (!label.test(c.project) || !label.test(c.name) || !/^[0-9a-f]{16}$/.test(c.id))
    throw new RenderError(`${field} must name a certificate of the project`, field);
  return quote(`${dir}/${c.project}/${c.name}.${c.id}.${ext}`, field);
}

/** A lowercase DNS name for server_name and map keys. */
export function hostname(value: string, field: string): string {
  const label = '[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?';
  if (value.length > 253 || !new RegExp(`^${label}(\\.${label})+$`).test(value)) {
    throw new RenderError(`${field} is not a DNS name`, field);
  }
  return quote(value, field);
}

/** A URL path prefix for a location. */
export function pathPrefix(value: string, field: string): string {
  if (!/^\/([A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*\/?)?$/.test(value) || /(^|\/)\.\.?(\/|$)/.test(value)) {
    throw new RenderError(`${field} is not a path prefix`, field);
  }
  return quote(value, field);
}

const bareArg = /^[A-Za-z0-9._:/+*=,-]{1,512}$/;

/**
 * Admin snippets: each directive must pass the shared allowlist and its argument rules again;
 * arguments are bare tokens or quoted strings, so none can end the directive or open a block.
 */
export function snippetLines(list: RenderSnippet[], ctx: 'http' | 'server', indent: string): string[] {
  return list.map((s, i) => {
    const field = `snippets.${ctx}[${i}]`;
    const problem = snippetProblem(s, ctx);
    if (problem) throw new RenderError(`${field}: ${problem}`, field);
    const args = s.args.map((a) => (bareArg.test(a) ? a : quote(a, field)));
    return `${indent}${identifier(s.directive, field)} ${args.join(' ')};`;
  });
}
