import { describe, expect, it } from 'vitest';
import { substringGroups } from './chat.search.js';

describe('substringGroups', () => {
  it('reads words, phrases, negations and alternatives as websearch_to_tsquery does', () => {
    expect(substringGroups('公園')).toEqual([{ all: ['公園'], none: [] }]);
    expect(substringGroups('-公園')).toEqual([{ all: [], none: ['公園'] }]);
    expect(substringGroups('走り -公園 "今日 は"')).toEqual([{ all: ['走り', '今日 は'], none: ['公園'] }]);
    expect(substringGroups('猫 or 犬 -魚')).toEqual([{ all: ['猫'], none: [] }, { all: ['犬'], none: ['魚'] }]);
    expect(substringGroups('"or" OR')).toEqual([{ all: ['or'], none: [] }]);
  });

  it('has no alternative for a search of only separators', () => {
    expect(substringGroups(' or  - "" ')).toEqual([]);
  });
});
