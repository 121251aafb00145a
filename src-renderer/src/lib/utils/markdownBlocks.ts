/**
 * Splits streaming markdown into blocks that can be rendered one by one: a block ends at a blank line outside a
 * fenced code block or a $$ math block. While an answer streams, every block but the last is finished, so each is
 * rendered once and only the last one is rendered again as tokens arrive (instead of the whole answer per frame).
 * Markdown that spans blank lines (a loose list, a reference link defined further down) can render slightly
 * differently in pieces; the settled message is rendered whole.
 */
export function markdownBlocks(src: string): string[] {
  const blocks: string[] = [];
  let start = 0;
  let fence: string | null = null;
  let math = false;
  let pos = 0;
  while (pos < src.length) {
    const nl = src.indexOf('\n', pos);
    const end = nl < 0 ? src.length : nl + 1;
    const line = src.slice(pos, end);
    const trimmed = line.trim();
    const f = /^(`{3,}|~{3,})/.exec(trimmed);
    if (fence !== null) {
      if (f && f[1]![0] === fence[0] && f[1]!.length >= fence.length && trimmed === f[1]) fence = null;
    } else if (math) {
      if (trimmed.endsWith('$$')) math = false;
    } else if (f) {
      fence = f[1]!;
    } else if (trimmed.startsWith('$$') && !(trimmed.length > 2 && trimmed.endsWith('$$'))) {
      math = true;
    } else if (trimmed === '' && end > start && pos > start && nl >= 0) {
      blocks.push(src.slice(start, end));
      start = end;
    }
    pos = end;
  }
  if (start < src.length || blocks.length === 0) blocks.push(src.slice(start));
  return blocks;
}
