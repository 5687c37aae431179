/** One page of sessions: a checkbox for bulk actions and a button that opens each. */
import type { SessionView } from '../api.js';
import { phone } from '../format.js';
import { StateBadge } from './StateBadge.js';

export function SessionRows(props: {
  sessions: SessionView[];
  selected: string | null;
  checked: ReadonlySet<string>;
  onChecked: (next: ReadonlySet<string>) => void;
  onSelect: (sessionId: string) => void;
}) {
  const toggle = (sessionId: string, on: boolean) => {
    const next = new Set(props.checked);
    if (on) next.add(sessionId);
    else next.delete(sessionId);
    props.onChecked(next);
  };
  return (
    <ul class="session-rows">
      {props.sessions.map((s) => (
        <li key={s.sessionId} class="session-row">
          <input
            type="checkbox"
            class="row-check"
            aria-label={`Select ${s.displayName ?? s.sessionId}`}
            checked={props.checked.has(s.sessionId)}
            onChange={(e) => toggle(s.sessionId, (e.target as HTMLInputElement).checked)}
          />
          <button
            type="button"
            class="session-item"
            data-session-id={s.sessionId}
            aria-current={props.selected === s.sessionId ? 'true' : undefined}
            onClick={() => props.onSelect(s.sessionId)}
          >
            <span class="session-name">{s.displayName ?? s.sessionId}</span>
            {s.displayName && <span class="session-id">{s.sessionId}</span>}
            <span class="session-meta">
              <StateBadge session={s} />
              {s.me && <span class="session-phone">{phone(s.me.phoneNumber)}</span>}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
