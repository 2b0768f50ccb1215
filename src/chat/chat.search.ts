/** One alternative of a search for scripts without word breaks: every `all` term appears, no `none` term does. */
export interface SubstringGroup {
  all: string[];
  none: string[];
}

/**
 * Reads a search the way PostgreSQL's websearch_to_tsquery does (words and "quoted phrases" all required,
 * `-word` left out, `or` between alternatives) into substring terms, for messages stored in Japanese or
 * Chinese: the 'simple' parser sees a whole CJK sentence as one word, so it can neither find a word in it
 * nor leave one out.
 */
export function substringGroups(text: string): SubstringGroup[] {
  const groups: SubstringGroup[] = [];
  let current: SubstringGroup = { all: [], none: [] };
  for (const [, neg, quoted, bare] of text.matchAll(/(-?)(?:"([^"]*)"?|(\S+))/g)) {
    const term = (quoted ?? bare ?? '').trim();
    if (!neg && quoted === undefined && term.toLowerCase() === 'or') {
      if (current.all.length || current.none.length) groups.push(current);
      current = { all: [], none: [] };
      continue;
    }
    if (term && !/^-+$/.test(term)) (neg ? current.none : current.all).push(term);
  }
  if (current.all.length || current.none.length) groups.push(current);
  return groups;
}
