// `npm run check`: a query that orders rows to take the first one must say `.limit(1)`.
// Kysely's executeTakeFirst() adds no LIMIT, so without it the store reads (and sends) every
// row: an agent's poll read all 541 stored gateway versions (113 MiB, 1.9 s) for one
// (docs/gateway.md, "Gateway API benchmark").
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'server', 'src');
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) files.push(p);
  }
})(root);

const found = [];
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/executeTakeFirst(OrThrow)?\(\)/g)) {
    // the statement: back to the previous `;` or block opening
    const start = Math.max(text.lastIndexOf(';', m.index), text.lastIndexOf('{\n', m.index));
    const chain = text.slice(start, m.index);
    if (chain.includes('selectFrom') && chain.includes('.orderBy(') && !chain.includes('.limit('))
      found.push(`${path.relative(process.cwd(), file)}:${text.slice(0, m.index).split('\n').length}`);
  }
}
if (found.length > 0) {
  console.log(found.join('\n'));
  console.log('  -> an ordered query that takes its first row needs .limit(1) (executeTakeFirst adds none)');
  process.exit(1);
}
console.log('every ordered first-row query is limited');
