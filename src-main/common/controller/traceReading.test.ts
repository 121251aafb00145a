import { describe, expect, it } from 'vitest';
import { firstArithmeticSlip, lineSlip, reachedNumber, statedResults, TraceWatch, unusedQuestionNumbers } from './traceReading';

// Traces in the bundled model's format (models/recipe/datagen.py); the slips are ones it made on eval questions.
const add = '37+48\n7+8+0=15 c1 -> 5\n3+4+1=8 c0 -> 85\nSo 37+48=85.\nWait, let me verify.\n7+8+0=15 c1 -> 5\n3+4+1=8 c0 -> 85\nYes, 85.';

describe('trace reading', () => {
  it('reads the stated results in order, not the column steps', () => {
    expect(statedResults(add)).toEqual(['85', '85']);
    expect(statedResults('6704-2704\n4-4-0=0 b0 -> 0\nSo 6704-2704=3000.\nYes, 4000.')).toEqual(['3000', '4000']);
    expect(statedResults('37+48\n7+8+0=15 c1 -> 5')).toEqual([]);
    expect(statedResults('')).toEqual([]);
  });

  it('a number is reached when the thinking writes it beyond copying the question', () => {
    expect(reachedNumber('37+48\n7+8+0=15 c1 -> 5\n3+4+1=8 c0 -> 85', 'What is 37 + 48?', '85')).toBe(true);
    expect(reachedNumber('37+48\n7+8+0=15 c1 -> 5', 'What is 37 + 48?', '85')).toBe(false);
    expect(reachedNumber('37+0', 'What is 37 + 0?', '37')).toBe(false);
    expect(reachedNumber('37+0\n7+0+0=7 c0 -> 7\n3+0+0=3 c0 -> 37', 'What is 37 + 0?', '37')).toBe(true);
    expect(reachedNumber('-> 1850', 'x', '185')).toBe(false);
  });

  it('lists the question numbers the thinking never writes', () => {
    expect(unusedQuestionNumbers('9+3-7*1+74+74\n7*1=7.', 'What is 9 + 3 - 7 * 1 + 74 + 78?')).toEqual(['78']);
    expect(unusedQuestionNumbers('37+48\nSo 37+48=85.', 'What is 37 + 48?')).toEqual([]);
    expect(unusedQuestionNumbers('1200+5', 'What is 1,200 + 5?')).toEqual([]);
  });

  it('finds no slip in a correct trace (columns, borrows, products, expression steps)', () => {
    expect(firstArithmeticSlip(add)).toBeNull();
    expect(firstArithmeticSlip('12-7-0=5 b1 -> 5; 1-0-1=0 b0 -> 05; -> 5')).toBeNull();
    expect(firstArithmeticSlip('99*7:\n9*7+0=63 c6 -> 3\n9*7+6=69 c6 -> 93\n396*10=3960')).toBeNull();
    expect(firstArithmeticSlip('3*6=18. Now 18*7*6-1\n18*7: 8*7+0=56 c5 -> 6; 1*7+5=12 c1 -> 26; c1 -> 126.')).toBeNull();
    expect(firstArithmeticSlip('So 3 * 6 + 4 = 22.')).toBeNull();
  });

  it('names the first equation that does not hold', () => {
    expect(firstArithmeticSlip('6704-2704\n4-4-0=0 b0 -> 0\n17-7-0=0 b1 -> 000\nSo 6704-2704=3000.')).toBe('17-7-0=0');
    expect(firstArithmeticSlip('27*6\n7*6+0=42 c4 -> 2\n2*6+4=10 c1 -> 02')).toBe('2*6+4=10');
    expect(firstArithmeticSlip('So 6704 - 2704 = 3000.')).toBe('6704-2704=3000');
  });

  it('leaves alone what is not a whole-number equation', () => {
    expect(firstArithmeticSlip('x2+3=7')).toBeNull();
    expect(firstArithmeticSlip('1.5+2=3')).toBeNull();
    expect(firstArithmeticSlip('2+2=4.5')).toBeNull();
    expect(firstArithmeticSlip('-3+5=9')).toBeNull();
    expect(firstArithmeticSlip('1+1=2 and 4-1=3')).toBeNull();
    expect(firstArithmeticSlip('99999999999999*99999999999999=1')).toBeNull();
    // Cut inside its result by a budget: not a slip; the same equation with text after it is one.
    expect(firstArithmeticSlip('3*8\n3*8=24\nSo 3*8=24.\nWait, let me verify.\n3*8=2')).toBeNull();
    expect(firstArithmeticSlip('3*8=2\n')).toBeNull();
    expect(firstArithmeticSlip('3*8=2 c0')).toBe('3*8=2');
  });

  it('a finished line: every equation in it is judged, the last one too', () => {
    expect(lineSlip('3*8=2')).toBe('3*8=2');
    expect(lineSlip('7+8+0=15 c1 -> 5')).toBeNull();
    expect(lineSlip('So 6704-2704=3000.')).toBe('6704-2704=3000');
    expect(lineSlip('Wait, let me verify.')).toBeNull();
  });

  it('watches a trace line by line: the first problem, kept once seen', () => {
    const clean = new TraceWatch();
    for (const line of add.split('\n')) expect(clean.read(line)).toBeNull();

    const slip = new TraceWatch();
    expect(slip.read('6704-2704')).toBeNull();
    expect(slip.read('17-7-0=0 b1 -> 000')).toBe('a step does not hold: 17-7-0=0');
    expect(slip.read('6-2-1=3 b0 -> 3000')).toBe('a step does not hold: 17-7-0=0');

    const differ = new TraceWatch();
    expect(differ.read('The sum is 84.')).toBeNull();
    expect(differ.read('Yes, 84.')).toBeNull();
    expect(differ.read('Yes, 85.')).toBe('stated results differ: 84, then 85');
    expect(differ.read('Yes, 84.')).toBe('stated results differ: 84, then 85');
  });
});
