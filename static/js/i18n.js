// The page's words in the page's language. The server puts this language's part of the
// catalogue in the page (<script id="messages">, watchparty/i18n.py); without it (Node's
// tests, a page without the block) every text is its English self. Texts are the English
// ones, with {name} placeholders; docs/translating.md says how to add a language.

/** @type {{messages: Record<string, string>, errors: Record<string, string>}} */
const catalogue = { messages: {}, errors: {} };
const block = typeof document === "undefined" ? null : document.getElementById("messages");
if (block && block.textContent) Object.assign(catalogue, JSON.parse(block.textContent));

/**
 * Fill {name} placeholders (a format such as {rate:g} or {id!r} shows the plain value).
 * @param {string} template @param {Record<string, unknown>} [values] @returns {string}
 */
export function fill(template, values = {}) {
  return template.replace(/\{(\w+)(?:![rsa])?(?::[^}]*)?\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole);
}

/**
 * ``text`` (English, the catalogue's key) in the page's language, its placeholders filled.
 * @param {string} text @param {Record<string, unknown>} [values] @returns {string}
 */
export function t(text, values) {
  return fill(catalogue.messages[text] || text, values);
}

/**
 * An error from the server for people: its code's template in the page's language, filled
 * with the error's params; else the server's (English) message.
 * @param {{code?: string, message?: string, params?: Record<string, unknown>} | null | undefined} error
 * @returns {string}
 */
export function describe(error) {
  if (!error) return "";
  const template = error.code ? catalogue.errors[error.code] : undefined;
  return template ? fill(template, error.params || {}) : String(error.message || error.code || "");
}

/** The page's language (the <html lang> the server chose). */
export const language = typeof document === "undefined" ? "en" : (document.documentElement.lang || "en");
