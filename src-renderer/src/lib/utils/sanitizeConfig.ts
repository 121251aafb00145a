/**
 * DOMPurify options for rendered answers. Kept as plain data so the e2e suite can run the same
 * configuration in real Chromium (happy-dom's DOM is not faithful enough to test a sanitiser against).
 */
export const SANITIZE_CONFIG = {
  ADD_ATTR: ['target', 'data-copy-code'],
  FORBID_TAGS: ['style', 'form', 'input', 'textarea', 'select', 'iframe', 'object', 'embed', 'img', 'video', 'audio', 'source'],
  FORBID_ATTR: ['srcset', 'formaction'],
  ALLOW_UNKNOWN_PROTOCOLS: false,
};

/** Link targets an answer may carry: web links and in-page anchors; never file:, javascript:, data:. */
export function isSafeHref(href: string): boolean {
  return /^https?:\/\//i.test(href) || href.startsWith('#');
}
