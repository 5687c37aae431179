/** Previous and next page of the session list, and where the reader is. */
import { PAGE_SIZE, type SessionPageState } from '../sessionPage.js';

export function Pager(props: { state: SessionPageState }) {
  const { page, pageNumber, next, previous } = props.state;
  if (!page || (next === null && previous === null)) return null;
  const first = (pageNumber - 1) * PAGE_SIZE + 1;
  const last = first + page.sessions.length - 1;
  return (
    <nav class="pager" aria-label="Session pages">
      <button type="button" disabled={!previous} onClick={() => previous?.()}>
        Previous
      </button>
      <span class="muted" data-page={pageNumber}>
        {first}–{last} of {page.total}
      </span>
      <button type="button" disabled={!next} onClick={() => next?.()}>
        Next
      </button>
    </nav>
  );
}
