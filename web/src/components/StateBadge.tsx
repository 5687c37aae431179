import type { SessionState } from '../../../src/core/model.js';
import { STATE_LABELS, STATE_TONES } from '../format.js';

export function StateBadge(props: { state: SessionState }) {
  return (
    <span class={`badge tone-${STATE_TONES[props.state]}`} data-state={props.state}>
      <span class="dot" aria-hidden="true" />
      {STATE_LABELS[props.state] ?? props.state}
    </span>
  );
}
