/** Select every session on the page, and connect or disconnect the selection at once. */
import { useState } from 'preact/hooks';
import { api, type SessionView } from '../api.js';
import { useAction } from '../hooks.js';

export function BulkBar(props: {
  sessions: SessionView[];
  checked: ReadonlySet<string>;
  onChecked: (next: ReadonlySet<string>) => void;
  onDone: () => void;
}) {
  const { busy, error, run } = useAction();
  const [outcome, setOutcome] = useState<string | null>(null);
  const ids = props.sessions.map((s) => s.sessionId);
  const all = ids.length > 0 && ids.every((id) => props.checked.has(id));
  const count = props.checked.size;

  const apply = (action: 'connect' | 'disconnect') =>
    run(async () => {
      setOutcome(null);
      const { results } = await api.bulk(action, [...props.checked]);
      const failed = results.filter((r) => !r.ok);
      const verb = action === 'connect' ? 'Connecting' : 'Disconnected';
      setOutcome(
        failed.length === 0
          ? `${verb} ${results.length} session${results.length === 1 ? '' : 's'}.`
          : `${verb} ${results.length - failed.length}; ${failed.length} failed: ${failed.map((f) => `${f.sessionId} (${f.error?.message ?? 'failed'})`).join(', ')}`,
      );
      props.onChecked(new Set());
      props.onDone();
    });

  return (
    <div class="bulk-bar" role="group" aria-label="Bulk actions">
      <label class="check-all">
        <input type="checkbox" checked={all} onChange={() => props.onChecked(all ? new Set() : new Set(ids))} />
        Select page
      </label>
      <button type="button" disabled={busy || count === 0} onClick={() => void apply('connect')}>
        Connect{count > 0 ? ` ${count}` : ''}
      </button>
      <button type="button" disabled={busy || count === 0} onClick={() => void apply('disconnect')}>
        Disconnect{count > 0 ? ` ${count}` : ''}
      </button>
      {outcome && (
        <p class="bulk-outcome" role="status">
          {outcome}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
