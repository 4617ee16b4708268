/**
 * A translated text with one code example in it: the message holds `{code}` where the example
 * goes, and the example (JSON, a command) is shown as code, the same in every language.
 */
export function WithCode({ text, code }: { text: string; code: string }) {
  const at = text.indexOf('{code}');
  if (at < 0) return <>{text}</>;
  return (
    <>
      {text.slice(0, at)}
      <code>{code}</code>
      {text.slice(at + '{code}'.length)}
    </>
  );
}
