/**
 * The dashboard's secrets derived from the master key. Both are pinned by
 * a master-key rotation (the CLI's PINNED_PURPOSES): signed-in users keep
 * their CSRF tokens and a one-time code sent just before a rotation still
 * checks.
 */
export const DASHBOARD_CSRF_PURPOSE = 'dashboard-csrf';
export const DASHBOARD_OTP_PURPOSE = 'dashboard-otp';
