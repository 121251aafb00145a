import { describe, expect, it } from 'vitest';
import { answerNumber, questionExpression, traceViolations } from './traceGrammar';

// Traces in the bundled model's format (column by column, then a check pass).
const ADD = '<think>\n37+48\n7+8+0=15 c1 -> 5\n3+4+1=8 c0 -> 85\nSo 37+48=85.\nWait, let me verify.\n7+8+0=15 c1 -> 5\n3+4+1=8 c0 -> 85\nYes, 85.\n</think>';
const EXPR = '<think>\n81-7*7-5*6\n7*7=49. Now 81-49-5*6\n5*6=30. Now 81-49-30\n81-49: 11-9-0=2 b1 -> 2; 8-4-1=3 b0 -> 32. Now 32-30\n32-30: 2-0-0=2 b0 -> 2; 3-3-0=0 b0 -> 02; -> 2. Now 2\nSo 81-7*7-5*6=2.\nWait, let me verify.\n32-30: 2-0-0=2 b0 -> 2; 3-3-0=0 b0 -> 02; -> 2. Now 2\nYes, 2.\n</think>';
const MUL = '<think>\n9*16\n9*6:\n9*6=54\n9*1:\n9*1=9\n9*10=90\n54+90:\n4+0+0=4 c0 -> 4\n5+9+0=14 c1 -> 44\nc1 -> 144\nSo 9*16=144.\nWait, let me verify.\n9*6:\n9*6=54\n9*1:\n9*1=9\n9*10=90\n54+90:\n4+0+0=4 c0 -> 4\n5+9+0=14 c1 -> 44\nc1 -> 144\nYes, 144.\n</think>';
const whole = (text: string, question: string, answer: string) => traceViolations({ text, atStart: true, atEnd: true, question, answer }).map((v) => v.rule);

describe('trace grammar (reckon-arith columns)', () => {
  it('reads the question and the answer', () => {
    expect(questionExpression('What is 81 - 7 * 7 - 5 * 6?')).toBe('81-7*7-5*6');
    expect(questionExpression('Hello')).toBeNull();
    expect(answerNumber('37 + 48 = 85')).toBe('85');
  });

  it('honest traces of every shape break no rule', () => {
    expect(whole(ADD, 'What is 37 + 48?', '37 + 48 = 85')).toEqual([]);
    expect(whole(EXPR, 'What is 81 - 7 * 7 - 5 * 6?', '81 - 7 * 7 - 5 * 6 = 2')).toEqual([]);
    expect(whole(MUL, 'What is 9 * 16?', '9 * 16 = 144')).toEqual([]);
  });

  it('another question\'s trace: its restated question, its answer, its digits', () => {
    const r = whole(ADD, 'What is 37 + 49?', '37 + 49 = 86');
    expect(r).toEqual(expect.arrayContaining(['segment-start', 'question-line', 'answer-line', 'column-operands', 'segment-end']));
  });

  it('order and position: a second check pass, filler, spliced columns, wrong sums', () => {
    const yes = ADD.indexOf('Yes, ');
    // padding before the closing "Yes" line
    const at = (pad: string) => whole(ADD.slice(0, yes) + pad + ADD.slice(yes), 'What is 37 + 48?', '37 + 48 = 85');
    expect(at('0 0 0 0 0 0\n')).toContain('line-shape');
    expect(at('3+1+0=4 c0 -> 4\n')).toContain('column-chain'); // another sum's first column after this one's last
    expect(at('37+48\n')).toContain('line-order'); // the question restated mid-trace
    expect(at('3+4+1=9 c0 -> 95\n')).toEqual(expect.arrayContaining(['column-sum', 'column-chain']));
    // A whole second check pass is legal line by line: only a global count could tell (docs/receipts.md).
    expect(at('So 37+48=85.\nWait, let me verify.\n7+8+0=15 c1 -> 5\n3+4+1=8 c0 -> 85\n')).toEqual([]);
    // anything after the closing line
    expect(whole(ADD.replace('Yes, 85.\n', 'Yes, 85.\n7+8+0=15 c1 -> 5\n'), 'What is 37 + 48?', '37 + 48 = 85')).toEqual(expect.arrayContaining(['line-order', 'segment-end']));
  });

  it('windows judge whole lines only, and segment rules only at the segment edges', () => {
    const mid = ADD.slice(20, 60); // cut mid-line at both ends
    expect(traceViolations({ text: mid, atStart: false, atEnd: false, question: 'What is 37 + 48?', answer: '85' })).toEqual([]);
  });

  it('drafts: how they open, that they close, and the question they name', () => {
    const draft = (text: string, atEnd = true) => traceViolations({ text, atStart: true, atEnd, question: 'What is 37 + 48?', answer: '37 + 48 = 85', draft: true }).map((v) => v.rule);
    // a sampled draft may get the sum wrong and still be honest
    expect(draft(`${ADD.replace(/85/g, '95')}\n37 + 48 = 95`)).toEqual([]);
    expect(draft('7+8+0=15 c1 -> 5\n3+4+1=8 c0 -> 85\n')).toEqual(['segment-start', 'segment-end']);
    expect(draft(ADD.replace(/37\+48/g, '37+49'))).toContain('question-line');
  });

  it('accepts a check that names the true result when the visible answer slipped, and nothing else', () => {
    const q = 'What is 37 + 48?';
    const rules = (answer: string, result?: string) => traceViolations({ text: ADD, atStart: true, atEnd: true, question: q, answer, ...(result !== undefined ? { result } : {}) }).map((v) => v.rule);
    expect(rules('37 + 48 = 84')).toEqual(['segment-end', 'answer-line']);
    expect(rules('37 + 48 = 84', '85')).toEqual([]);
    expect(rules('37 + 48 = 84', '86')).toEqual(['segment-end', 'answer-line']);
  });
});
