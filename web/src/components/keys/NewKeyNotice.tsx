/** A key just minted, shown this once. */
import type { CreatedKey } from '../../api.js';

export function NewKeyNotice(props: { created: CreatedKey }) {
  return (
    <div class="notice new-key" role="status">
      <p>
        New key{props.created.label ? ` “${props.created.label}”` : ''}. Copy it now: it is not shown again.
      </p>
      <code class="secret" data-new-key={props.created.key}>
        {props.created.key}
      </code>
    </div>
  );
}
