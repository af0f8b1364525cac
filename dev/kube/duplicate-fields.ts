/**
 * Paths of keys that appear twice in one JSON object (`spec.mtu`), which JSON.parse silently
 * collapses but the real server reports under fieldValidation Strict/Warn. Expects valid JSON.
 */
export function duplicateFields(text: string): string[] {
  const found: string[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i] as string)) i += 1;
  };
  const readString = (): string => {
    const start = i;
    i += 1;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i += 1;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const readValue = (path: string): void => {
    skipSpace();
    const ch = text[i];
    if (ch === '{') {
      i += 1;
      const seen = new Set<string>();
      skipSpace();
      while (i < text.length && text[i] !== '}') {
        skipSpace();
        const key = readString();
        const child = path ? `${path}.${key}` : key;
        if (seen.has(key)) found.push(child);
        seen.add(key);
        skipSpace();
        i += 1; // ':'
        readValue(child);
        skipSpace();
        if (text[i] === ',') i += 1;
        skipSpace();
      }
      i += 1;
    } else if (ch === '[') {
      i += 1;
      let index = 0;
      skipSpace();
      while (i < text.length && text[i] !== ']') {
        readValue(`${path}[${index}]`);
        index += 1;
        skipSpace();
        if (text[i] === ',') i += 1;
        skipSpace();
      }
      i += 1;
    } else if (ch === '"') {
      readString();
    } else {
      while (i < text.length && !',}] \t\r\n'.includes(text[i] as string)) i += 1;
    }
  };
  readValue('');
  return found;
}
