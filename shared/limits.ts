/** Limits both sides enforce, so the web app can say "too short" before a round trip. */
export const PASSWORD_MIN_LENGTH = 8
/** Long enough for any passphrase, short enough that hashing it costs nothing unusual. */
export const PASSWORD_MAX_LENGTH = 256
/** RFC 5321 caps a forward path at 254 characters. */
export const EMAIL_MAX_LENGTH = 254
/** No JSON body the API accepts comes near this; anything larger is refused before parsing. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024
/**
 * `POST /api/chat` alone takes more: it carries inline base64 images and the whole history.
 * 32 MiB holds a message's full image allowance (CHAT_LIMITS.attachmentsMaxBytes, 20 MiB, is
 * 26.7 MiB as base64) plus about 5 MiB of text, while one request's parse stays well under a
 * tenth of a second and a handful of concurrent ones stay far from the machine's memory.
 */
export const MAX_CHAT_BODY_BYTES = 32 * 1024 * 1024
/** Failed sign-ins for one email from one client address that cost no delay. */
export const LOGIN_FREE_FAILURES = 5
/** Failed sign-ins from one client address (any email) that cost no delay: people behind one address share it. */
export const CLIENT_LOGIN_FREE_FAILURES = 20
/** The first delay once the free failures are spent; each further failure doubles it, up to the cap. */
export const LOGIN_DELAY_BASE_MS = 1000
export const LOGIN_DELAY_MAX_MS = 5 * 60 * 1000
/** Failures are forgotten after this long without another one. */
export const LOGIN_FAILURE_MEMORY_MS = 24 * 60 * 60 * 1000
/** Registrations (any outcome) one client address may attempt inside the window. */
export const REGISTER_ATTEMPT_LIMIT = 5
export const REGISTER_WINDOW_MS = 10 * 60 * 1000
/** How long a session lasts without signing in again. */
export const SESSION_TTL_SECONDS = 7 * 24 * 60 * 60
