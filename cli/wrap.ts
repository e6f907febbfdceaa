/**
 * Text for an 80-column terminal: prose wrapped at spaces, continuation lines indented. A word longer than the
 * line (a path) is kept whole on a line of its own rather than cut.
 */

/** The width rsn's own output keeps to, whatever the terminal (commander's help does the same). */
export const COLUMNS = 80;

/**
 * `text` wrapped to `width` columns: the first line starts with `first` (e.g. 'rsn: '), the others with `rest`
 * (spaces, by default as wide as `first`). Line breaks in `text` are kept; a line's own leading spaces are added
 * to its continuation lines' indentation.
 */
export function wrap(text: string, width = COLUMNS, first = '', rest = ' '.repeat(first.length)): string {
  return text.split('\n').map((line, k) => {
    const lead = k === 0 ? first : rest;
    const own = /^ */.exec(line)![0];
    const words = line.slice(own.length).split(/ +/).filter((w) => w !== '');
    const out: string[] = [];
    let current = `${lead}${own}`;
    let empty = true;
    for (const word of words) {
      if (!empty && current.length + 1 + word.length > width) {
        out.push(current);
        current = `${rest}${own}`;
        empty = true;
      }
      current += `${empty ? '' : ' '}${word}`;
      empty = false;
    }
    out.push(current);
    return out.join('\n');
  }).join('\n');
}

/** `label value` on one line when it fits, else the value (a path) on the next line, indented. */
export function labelled(label: string, value: string, width = COLUMNS): string {
  return label.length + 1 + value.length <= width ? `${label} ${value}` : `${label}\n  ${value}`;
}

/** The lines of `text` wider than `width`, except a single word (a path) alone on its line. */
export function overlong(text: string, width = COLUMNS): string[] {
  return text.split('\n').filter((line) => line.length > width && /\S\s+\S/.test(line.trim()));
}
