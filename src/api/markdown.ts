// The bits of Markdown the API reference needs (GitHub Flavored Markdown).

/** Inline code; a text with backticks gets a longer fence. */
export const code = (text: string): string => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);

/**
 * Markdown for a table cell: one line, pipes escaped (GitHub tables split on them, even in code),
 * and, unless `markdown` says it is Markdown already, no `<` that could open an HTML tag.
 */
export function cell(text: string, markdown = false): string {
  const line = text.replace(/\s*\n\s*/g, ' ');
  return (markdown ? line : line.replaceAll('<', '&lt;')).replaceAll('|', '\\|');
}
