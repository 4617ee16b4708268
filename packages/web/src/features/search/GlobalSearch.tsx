import { useEffect, useRef, useState } from 'react';
import { AutoComplete, Input, Tag, type InputRef } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { useNavigate } from 'react-router-dom';
import type { SearchHit } from '@berth/shared';
import { useI18n } from '../../i18n/I18nProvider';
import { hitHref, hitKey, searchAll } from './search-api';
import './search.css';

/** True when a key press happens where typing "/" means text, not "go to search". */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName) ||
    target.closest('.xterm') !== null
  );
}

/** Waits until the user stops typing before asking the server. */
function useDebounced(value: string, ms: number): string {
  const [out, setOut] = useState(value);
  useEffect(() => {
    const timer = window.setTimeout(() => setOut(value), ms);
    return () => window.clearTimeout(timer);
  }, [value, ms]);
  return out;
}

/**
 * The header's search: services and containers the user may read, across projects and
 * environments, by name, image, IP or container id prefix. Ctrl+K or "/" focuses it; arrows and
 * Enter pick a hit, which opens the service (or its containers).
 */
export function GlobalSearch() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const input = useRef<InputRef>(null);
  const [text, setText] = useState('');
  const q = useDebounced(text.trim(), 200);
  const hits = useQuery({
    queryKey: ['search', q],
    queryFn: ({ signal }) => searchAll(q, signal),
    enabled: q.length > 0,
    staleTime: 10_000,
  });

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const ctrlK = (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'k';
      const slash = e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey && !isTypingTarget(e.target);
      if (!ctrlK && !slash) return;
      e.preventDefault();
      input.current?.focus();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const items = q ? (hits.data?.items ?? []) : [];
  const byKey = new Map(items.map((h) => [hitKey(h), h]));
  const open = (hit: SearchHit) => {
    setText('');
    input.current?.blur();
    void navigate(hitHref(hit));
  };
  const notFound = q && hits.isSuccess && items.length === 0 ? t('search.none', { q }) : undefined;

  return (
    <AutoComplete
      className="global-search"
      value={text}
      onChange={setText}
      onSelect={(key: string) => {
        const hit = byKey.get(key);
        if (hit) open(hit);
      }}
      options={items.map((h) => ({ value: hitKey(h), label: <HitLabel hit={h} /> }))}
      notFoundContent={notFound}
      popupMatchSelectWidth={420}
      defaultActiveFirstOption
    >
      <Input
        ref={input}
        allowClear
        placeholder={t('search.placeholder')}
        aria-label={t('search.label')}
        data-testid="global-search"
      />
    </AutoComplete>
  );
}

function HitLabel({ hit }: { hit: SearchHit }) {
  const { t } = useI18n();
  const where = `${hit.project} / ${hit.env}`;
  return (
    <div
      className="global-search-hit"
      data-testid={`search-hit-${hit.kind}-${hit.kind === 'service' ? hit.service : hit.container}`}
    >
      <span>
        <Tag color={hit.kind === 'service' ? 'blue' : 'purple'}>{t(`search.kind.${hit.kind}`)}</Tag>
        {hit.kind === 'service' ? hit.service : hit.container}
        {hit.match !== 'name' ? (
          <span className="match">
            {' '}
            · {t(`search.match.${hit.match}`)} {hit.value}
          </span>
        ) : null}
      </span>
      <span className="where">{hit.kind === 'container' ? `${where} / ${hit.service}` : where}</span>
    </div>
  );
}
