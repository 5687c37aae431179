/** Search box and sort order of the session list; the search is sent once typing pauses. */
import { useEffect, useState } from 'preact/hooks';
import type { SessionSort } from '../api.js';
import type { Filters } from '../sessionPage.js';

const SORTS: Array<{ value: SessionSort; label: string }> = [
  { value: 'created', label: 'Oldest first' },
  { value: '-created', label: 'Newest first' },
  { value: 'name', label: 'Name' },
  { value: 'state', label: 'State' },
];

const TYPING_PAUSE_MS = 250;

export function SessionSearch(props: { filters: Filters; onChange: (change: Partial<Filters>) => void }) {
  const [text, setText] = useState(props.filters.q);

  useEffect(() => {
    if (text === props.filters.q) return;
    const timer = setTimeout(() => props.onChange({ q: text }), TYPING_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [text]);

  return (
    <div class="list-tools" role="search">
      <div class="grow">
        <label for="session-search">Search</label>
        <input
          id="session-search"
          type="search"
          value={text}
          placeholder="Id, name or phone number"
          autoComplete="off"
          spellcheck={false}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
      </div>
      <div>
        <label for="session-sort">Sort</label>
        <select id="session-sort" value={props.filters.sort} onChange={(e) => props.onChange({ sort: (e.target as HTMLSelectElement).value as SessionSort })}>
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
