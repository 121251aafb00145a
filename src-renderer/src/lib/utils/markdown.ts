import DOMPurify from 'dompurify';
import katex from 'katex';
import { Marked, type Tokens, type TokenizerAndRendererExtension } from 'marked';
import { escapeHtml, highlightCode } from './highlight';
import { SANITIZE_CONFIG, isSafeHref } from './sanitizeConfig';

function renderMath(tex: string, displayMode: boolean): string {
  try {
    return katex.renderToString(tex, { displayMode, throwOnError: false, output: 'htmlAndMathml', strict: 'ignore', trust: false });
  } catch {
    return `<code>${escapeHtml(tex)}</code>`;
  }
}

const blockMath: TokenizerAndRendererExtension = {
  name: 'blockMath',
  level: 'block',
  start: (src: string) => src.indexOf('$$'),
  tokenizer(src: string) {
    const m = /^\$\$([\s\S]+?)\$\$(?:\n|$)/.exec(src);
    if (m) return { type: 'blockMath', raw: m[0], text: (m[1] ?? '').trim() };
    return undefined;
  },
  renderer: (t) => `<div class="math-block">${renderMath(String(t.text), true)}</div>\n`,
};

const inlineMath: TokenizerAndRendererExtension = {
  name: 'inlineMath',
  level: 'inline',
  start: (src: string) => src.indexOf('$'),
  tokenizer(src: string) {
    // $$...$$ inline, or $...$ whose content neither starts nor ends with a space (so "$5 and $6" stays text).
    const m = /^\$\$([^$]+?)\$\$/.exec(src) ?? /^\$(?!\s)((?:\\\$|[^$\n])+?)(?<!\s)\$(?!\d)/.exec(src);
    if (m) return { type: 'inlineMath', raw: m[0], text: m[1] ?? '', display: m[0].startsWith('$$') };
    return undefined;
  },
  renderer: (t) => renderMath(String(t.text), Boolean(t.display)),
};

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  extensions: [blockMath, inlineMath],
  renderer: {
    code({ text, lang }: Tokens.Code) {
      const { html, language } = highlightCode(text, lang);
      return (
        `<div class="code-block"><div class="code-head"><span class="code-lang">${escapeHtml(language)}</span>` +
        `<button type="button" class="code-copy" data-copy-code>Copy</button></div>` +
        `<pre><code class="hljs language-${escapeHtml(language)}">${html}</code></pre></div>\n`
      );
    },
    // Model output is text: raw HTML in it is shown, never interpreted.
    html({ text }: Tokens.HTML | Tokens.Tag) {
      return escapeHtml(text);
    },
    link({ href, title, tokens }: Tokens.Link) {
      const inner = this.parser.parseInline(tokens);
      if (!isSafeHref(href)) return inner;
      const t = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(href)}"${t}>${inner}</a>`;
    },
    // No remote or local images in answers (offline app, CSP img-src 'self'): show the alt text.
    image({ text }: Tokens.Image) {
      return escapeHtml(text);
    },
  },
});

// One sanitiser instance of our own, its configuration parsed once: passing the options to every call re-parses
// them (cloning the allow-lists), a fixed cost per call that a streaming answer pays once per frame.
let instance: ReturnType<typeof DOMPurify> | null = null;
function purifier(): ReturnType<typeof DOMPurify> {
  if (!instance) {
    const p = DOMPurify(window);
    p.setConfig(SANITIZE_CONFIG);
    p.addHook('afterSanitizeAttributes', (node) => {
      if (node.tagName === 'A') {
        const href = node.getAttribute('href') ?? '';
        if (/^https?:/i.test(href)) {
          node.setAttribute('target', '_blank');
          node.setAttribute('rel', 'noopener noreferrer');
        } else if (!href.startsWith('#')) {
          node.removeAttribute('href');
        }
      }
    });
    instance = p;
  }
  return instance;
}

/** Markdown (with $math$, highlighted code) to HTML, before sanitising: raw HTML escaped, unsafe links dropped. */
export function markdownToHtml(src: string): string {
  return marked.parse(src) as string;
}

/** Markdown to sanitised HTML, safe for {@html}. */
export function renderMarkdown(src: string): string {
  const raw = markdownToHtml(src);
  const p = purifier();
  // Defence in depth: without a working sanitiser, show the text rather than trust the first layer alone.
  if (!p.isSupported) return `<p>${escapeHtml(src)}</p>`;
  return p.sanitize(raw);
}
