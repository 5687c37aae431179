/** Filter chips, one per state that has sessions, each with its count, plus "All". */
import type { SessionState } from '../api.js';
import { STATE_LABELS } from '../format.js';
import { SESSION_STATES } from '../../../src/domain/sessionState.js';

/**
 * The filter names `error` "Stopped": it also holds sessions whose QR simply
 * expired unscanned (badged calmly in the list), so the chip raises no alarm.
 */
const FILTER_LABELS: Record<SessionState, string> = { ...STATE_LABELS, error: 'Stopped' };

export function StateFilter(props: {
  counts: Record<SessionState, number>;
  selected: SessionState | null;
  onChange: (state: SessionState | null) => void;
}) {
  const total = SESSION_STATES.reduce((sum, state) => sum + props.counts[state], 0);
  // The chosen state keeps its chip even when its count drops to zero.
  const shown = SESSION_STATES.filter((state) => props.counts[state] > 0 || state === props.selected);
  return (
    <div class="state-filter" role="group" aria-label="Filter by state">
      <button type="button" class="chip" aria-pressed={props.selected === null} data-filter-state="" onClick={() => props.onChange(null)}>
        All <span class="chip-count">{total}</span>
      </button>
      {shown.map((state) => (
        <button
          key={state}
          type="button"
          class="chip"
          aria-pressed={props.selected === state}
          data-filter-state={state}
          onClick={() => props.onChange(props.selected === state ? null : state)}
        >
          {FILTER_LABELS[state]} <span class="chip-count">{props.counts[state]}</span>
        </button>
      ))}
    </div>
  );
}
