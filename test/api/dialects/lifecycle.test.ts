/** The dialects' shared lifecycle verbs: forgiving where the originals are. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { logoutIfLinked, restartSession, startSession, stopIfRunning } from '../../../src/api/compat-shared/lifecycle.js';
import { createTestGateway, eventually, type TestGateway } from '../../support/harness.js';

describe('dialect lifecycle kit', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await createTestGateway();
    await gw.core.sessions.create({ sessionId: 's1' });
  });
  afterEach(async () => gw.close());

  it('stopping or logging out a session that never ran answers it as it is, without an error', async () => {
    expect((await stopIfRunning(gw.core.sessions, 's1')).state).toBe('created');
    expect((await logoutIfLinked(gw.core.sessions, 's1')).state).toBe('created');
  });

  it('start, stop only if running, restart', async () => {
    await startSession(gw.core.sessions, 's1');
    await eventually(() => expect(gw.core.sessions.get('s1').state).toBe('qr'));
    const stopped = await stopIfRunning(gw.core.sessions, 's1');
    expect(stopped.active).toBe(false);
    const restarted = await restartSession(gw.core.sessions, 's1');
    expect(restarted.active).toBe(true);
    await eventually(() => expect(gw.core.sessions.get('s1').state).toBe('qr'));
  });

  it('an unknown session is SESSION_NOT_FOUND', async () => {
    await expect(stopIfRunning(gw.core.sessions, 'nope')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    await expect(logoutIfLinked(gw.core.sessions, 'nope')).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
  });
});
