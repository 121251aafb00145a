/**
 * Splits a growing text into chunks that stay the same as it grows, for rendering each in its own block: the
 * browser then lays out only the chunk that changed, not the whole text (a 6,000-token thought re-laid out every
 * frame is what made streaming janky). A chunk ends at the first line break after `size` characters, so in a
 * `white-space: pre-wrap` box the chunks read exactly as the whole text would; text with no line break for
 * `8 * size` characters is cut at the next space instead (there the line breaks one word early).
 * `size`: characters, default 2,000.
 */
export function textChunks(text: string, size = 2000): string[] {
  const chunks: string[] = [];
  let start = 0;
  while (text.length - start > size) {
    let cut = text.indexOf('\n', start + size);
    if (cut < 0 || cut - start > 8 * size) {
      cut = text.indexOf(' ', start + 8 * size);
      if (cut < 0) break;
    }
    chunks.push(text.slice(start, cut + 1));
    start = cut + 1;
  }
  if (start < text.length || chunks.length === 0) chunks.push(text.slice(start));
  return chunks;
}
