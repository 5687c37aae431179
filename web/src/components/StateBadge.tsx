import type { SessionView } from '../api.js';
import { qrExpired, stateLook } from '../format.js';

export function StateBadge(props: { session: Pick<SessionView, 'state' | 'paired' | 'lastDisconnect'> }) {
  const { label, tone } = stateLook(props.session);
  return (
    <span class={`badge tone-${tone}`} data-state={props.session.state} data-qr-expired={qrExpired(props.session) ? 'true' : undefined}>
      <span class="dot" aria-hidden="true" />
      {label}
    </span>
  );
}
