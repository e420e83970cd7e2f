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
/** Failed logins allowed for one email inside the window before 429. */
export const LOGIN_FAILURE_LIMIT = 5
/** Failed logins allowed from one client address (any email) inside the window. */
export const CLIENT_LOGIN_FAILURE_LIMIT = 20
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000
/** How long a session lasts without signing in again. */
export const SESSION_TTL_SECONDS = 7 * 24 * 60 * 60
