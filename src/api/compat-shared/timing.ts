/**
 * How long a dialect call waits for the engine. Login calls of gomulti/gowa
 * (and the bridge) start the connection themselves and wait for a QR or a
 * code, as their originals do; WAHA-style calls wait briefly for STARTING to
 * settle before answering 422.
 */
export const QR_WAIT_MS = 10_000;
export const PAIRING_CODE_WAIT_MS = 15_000;
export const STARTING_SETTLE_MS = 3_000;
