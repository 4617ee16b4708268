import { memo } from 'react';

/** One log line with every case-insensitive match of `search` marked. */
export const HighlightedLine = memo(function HighlightedLine(props: {
  text: string;
  search: string;
  stderr: boolean;
}) {
  const { text, search, stderr } = props;
  const className = stderr ? 'log-stderr' : undefined;
  if (!search) return <div className={className}>{text}</div>;
  const parts: Array<{ text: string; hit: boolean }> = [];
  const lower = text.toLowerCase();
  const needle = search.toLowerCase();
  let from = 0;
  for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, from)) {
    if (at > from) parts.push({ text: text.slice(from, at), hit: false });
    parts.push({ text: text.slice(at, at + needle.length), hit: true });
    from = at + needle.length;
  }
  if (from < text.length) parts.push({ text: text.slice(from), hit: false });
  return (
    <div className={className}>
      {parts.map((p, i) => (p.hit ? <mark key={i}>{p.text}</mark> : <span key={i}>{p.text}</span>))}
    </div>
  );
});
