import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

// A curated set keeps the bundle small; unknown languages are auto-detected among these.
const languages = { bash, c, cpp, css, go, java, javascript, json, markdown, python, rust, sql, typescript, xml, yaml };
for (const [name, lang] of Object.entries(languages)) hljs.registerLanguage(name, lang);

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Highlighted HTML for a code block (hljs escapes its input). */
export function highlightCode(code: string, lang: string | undefined): { html: string; language: string } {
  const l = (lang ?? '').trim().toLowerCase().split(/\s/)[0] ?? '';
  try {
    if (l && hljs.getLanguage(l)) return { html: hljs.highlight(code, { language: l, ignoreIllegals: true }).value, language: l };
    if (code.length < 20_000) {
      const r = hljs.highlightAuto(code);
      return { html: r.value, language: l || r.language || 'text' };
    }
  } catch {
    // fall through to plain text
  }
  return { html: escapeHtml(code), language: l || 'text' };
}
