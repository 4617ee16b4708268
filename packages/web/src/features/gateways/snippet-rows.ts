import type { GatewaySnippet } from '@berth/shared';

/** One editable snippet row: a directive and its arguments, as the form holds them. */
export interface SnippetRow {
  directive?: string;
  args?: string[];
}

export function toRows(snippets: GatewaySnippet[]): SnippetRow[] {
  return snippets.map((s) => ({ directive: s.directive, args: [...s.args] }));
}

/** The rows the user filled in; a row without a directive is dropped. */
export function fromRows(rows: SnippetRow[] | undefined): GatewaySnippet[] {
  return (rows ?? [])
    .filter((r) => r.directive?.trim())
    .map((r) => ({
      directive: r.directive!.trim(),
      args: (r.args ?? []).map((a) => a.trim()).filter(Boolean),
    }));
}

/** The form field an API error path of the snippets request (`http.2`, `server.0.args`) names. */
export function snippetFieldFor(path: string): Array<string | number> | null {
  const m = /^(http|server)\.(\d+)(?:\.(directive|args)(?:\.\d+)?)?$/.exec(path);
  if (!m) return null;
  return [m[1]!, Number(m[2]), m[3] === 'args' ? 'args' : 'directive'];
}
