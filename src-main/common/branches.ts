/**
 * Conversations as trees (edit-and-resend and regenerate branch them; the old answer stays reachable). Every
 * message names the message it follows (`parentId`; null = the first of the conversation) and the conversation
 * names the end of the branch it shows (`leafId`). Files written before branches existed have neither: a message
 * without `parentId` follows the one before it in the array, and a conversation without `leafId` shows the branch
 * ending at its last message. Pure functions over the stored shape, shared by the host and the renderer.
 */
import type { Conversation, Message } from './types';

type Tree = Pick<Conversation, 'messages' | 'leafId'>;

/** The message `m` (at index `i` of the array) follows; null for the first of a conversation. */
export function parentOf(messages: readonly Message[], i: number): string | null {
  const m = messages[i]!;
  if (m.parentId !== undefined) return m.parentId;
  return i === 0 ? null : messages[i - 1]!.id;
}

/** Every message's parent, by id. */
export function parents(messages: readonly Message[]): Map<string, string | null> {
  const out = new Map<string, string | null>();
  messages.forEach((m, i) => out.set(m.id, parentOf(messages, i)));
  return out;
}

/** The messages that follow `parentId` (null = the roots), in the order they were added. */
export function childrenOf(messages: readonly Message[], parentId: string | null): Message[] {
  return messages.filter((_, i) => parentOf(messages, i) === parentId);
}

/** The latest leaf below (or at) `id`: following the newest child at each step. */
export function leafUnder(messages: readonly Message[], id: string): string {
  let at = id;
  for (;;) {
    const kids = childrenOf(messages, at);
    if (kids.length === 0) return at;
    at = kids[kids.length - 1]!.id;
  }
}

/** The branch shown: root to leaf. A `leafId` that names no message falls back to the last message. */
export function activePath(c: Tree): Message[] {
  const byId = new Map(c.messages.map((m) => [m.id, m]));
  const ps = parents(c.messages);
  let at: string | null | undefined = c.leafId !== undefined && byId.has(c.leafId) ? c.leafId : c.messages.at(-1)?.id;
  const out: Message[] = [];
  const seen = new Set<string>();
  while (at != null && !seen.has(at)) {
    seen.add(at);
    const m = byId.get(at);
    if (!m) break;
    out.push(m);
    at = ps.get(at);
  }
  return out.reverse();
}

/** The id of the last message of the branch shown, null for an empty conversation. */
export function activeLeaf(c: Tree): string | null {
  return activePath(c).at(-1)?.id ?? null;
}

/** Where a message stands among its variants (the messages of its role that follow the same parent). */
export interface Variants {
  /** 0-based position of the message among them. */
  index: number;
  /** The variant ids, oldest first. */
  ids: string[];
}

export function variantsOf(messages: readonly Message[], id: string): Variants {
  const i = messages.findIndex((m) => m.id === id);
  if (i < 0) return { index: 0, ids: [id] };
  const parent = parentOf(messages, i);
  const ids = childrenOf(messages, parent).filter((m) => m.role === messages[i]!.role).map((m) => m.id);
  return { index: ids.indexOf(id), ids };
}

/** `id` and every message below it. */
export function subtreeOf(messages: readonly Message[], id: string): Set<string> {
  const ps = parents(messages);
  const out = new Set([id]);
  // Children always come after their parent in the array, so one pass in order finds every descendant.
  for (const m of messages) {
    const p = ps.get(m.id);
    if (p != null && out.has(p)) out.add(m.id);
  }
  return out;
}

/**
 * Gives every message an explicit parentId (a file from before branches, read into memory). Removing or
 * inserting messages is only safe once parents are explicit.
 */
export function withExplicitParents(messages: readonly Message[]): Message[] {
  return messages.map((m, i) => (m.parentId !== undefined ? m : { ...m, parentId: parentOf(messages, i) }));
}
