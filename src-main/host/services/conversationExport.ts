/**
 * A conversation written out for the user (conversations.export): Markdown is the branch shown, for reading and
 * pasting (thinking folded in a <details> block, the ledger one line per answer); JSON is the stored conversation
 * with every branch, receipts included, for keeping or auditing later.
 */
import { activePath } from '../../common/branches';
import type { Conversation, ConversationExport, Message } from '../../common/types';

/** Version of the JSON export's envelope; bumped when its shape changes. */
export const conversationExportVersion = 1;

/** A file name from the title: letters, digits and dashes, at most 60 characters. */
export function exportFileName(title: string, ext: 'md' | 'json'): string {
  const base = title.normalize('NFKD').replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60).replace(/-+$/, '');
  return `${base || 'conversation'}.${ext}`;
}

export function exportJson(c: Conversation): ConversationExport {
  const text = `${JSON.stringify({ format: 'reckon.conversation', version: conversationExportVersion, conversation: c }, null, 2)}\n`;
  return { filename: exportFileName(c.title, 'json'), mimeType: 'application/json', text };
}

/** Text that cannot close the <details> block it sits in, nor start HTML of its own. */
function escapeHtml(t: string): string {
  return t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function assistantMarkdown(m: Message): string {
  const parts: string[] = [];
  if (m.thinking) {
    const secs = m.thinkingMs !== undefined ? ` for ${(m.thinkingMs / 1000).toFixed(1)} s` : '';
    parts.push(`<details><summary>Thought${secs}</summary>\n\n<pre>${escapeHtml(m.thinking)}</pre>\n\n</details>`);
  }
  if (m.text) parts.push(m.text);
  if (m.status === 'stopped') parts.push('_(stopped)_');
  else if (m.status === 'interrupted') parts.push('_(interrupted: the answer did not finish)_');
  else if (m.status === 'error') parts.push(`_(error: ${m.error?.message ?? 'the turn failed'})_`);
  if (m.ledger) {
    const l = m.ledger;
    parts.push(`_Tokens: ${l.visible} visible, ${l.thinking} thinking, ${l.billed} billed._`);
  }
  return parts.join('\n\n');
}

export function exportMarkdown(c: Conversation): ConversationExport {
  const out = [`# ${c.title}`, '', `_Exported from Reckon, ${new Date().toISOString()}; started ${c.createdAt}._`];
  for (const m of activePath(c)) {
    out.push('', m.role === 'user' ? '## You' : '## Reckon', '');
    out.push(m.role === 'user' ? m.text : assistantMarkdown(m));
  }
  return { filename: exportFileName(c.title, 'md'), mimeType: 'text/markdown', text: `${out.join('\n')}\n` };
}
