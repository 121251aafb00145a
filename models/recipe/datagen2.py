"""Training and evaluation data for reckon-arith v2 (phases 4-6, fine-tuned from the v1 weights). The module's
defaults are phase 5's mixture; use_phase4_mixture() and use_phase6_mixture() switch to the others (train.py --data).

What v2 adds over datagen.py (which phases 1-3 keep using unchanged, so the v1 weights stay reproducible):
- Reasoning effort read from the prompt: a line `Reasoning effort: low|medium|high` at the end of the system
  message. high (also the default, no line) = today's trace plus its re-check; medium = the same trace without the
  re-check; low = a compact notation (no carry words, no spaces, no closing sentence) and no re-check.
- Many more phrasings (imperatives, word forms, "what's", casing, spacing, missing "?", thousands separators), with
  a set of templates held out of training entirely (HELDOUT_TEMPLATES) so the card can report phrasings never seen.
- Results below zero: a - b with a < b is worked out as b - a and negated.
- Follow-ups: two- and three-turn dialogs whose next question refers to the previous result ("and times 3?").
- A 3x1-digit multiplication tier, and more weight on multiplication and long expressions.
The held-out problem bucket (datagen.is_heldout) is the same as v1's: evaluation problems are never trained on.
"""
import random

import datagen as d1
from datagen import OOD_ANSWERS, OOD_QUESTIONS, SYSTEM_PROMPTS, is_heldout, rand_num

EFFORTS = ["low", "medium", "high"]
EFFORT_LINE = "Reasoning effort: {}"
TIERS = ["add1-3", "sub1-3", "neg1-3", "add4-5", "sub4-5", "add6", "sub6", "mul", "mul3x1", "expr2-3", "expr4-5"]
TIER_WEIGHTS = [1.0, 1.0, 1.2, 1.3, 1.4, 1.0, 1.2, 2.2, 1.4, 1.3, 2.0]
VERIFY_SHARE_HIGH = 1.0  # high effort always re-checks: that re-check is what sets it apart from medium
EFFORT_SHARES = (0.28, 0.24, 0.28)  # low, medium, explicit high; the rest has no effort line (= high)
COMPARE_LINES = True  # every subtraction starts with `a>=b` or `a<b` (signed_sub_lines)
RESTATE_OPERANDS = False  # phase 6: the comparison line ends with the operands in column order (`59>=30, so 59-30`)
VERIFY_BY_INVERSE = False  # phase 6: high re-checks the last step by its inverse operation instead of copying lines


def use_phase4_mixture():
    """Phase 4's mixture, kept so the shipped weights rebuild from scratch: no comparison line when a >= b, high
    re-checking 90 % of the time, fewer explicit-high examples. Phase 5 (the defaults above) fixed what it taught."""
    global VERIFY_SHARE_HIGH, EFFORT_SHARES, COMPARE_LINES
    VERIFY_SHARE_HIGH, EFFORT_SHARES, COMPARE_LINES = 0.9, (0.3, 0.25, 0.2), False


def use_phase6_mixture():
    """Phase 6 (from phase 5's weights): the line just before the column work restates the operands in the order the
    columns read them (phase 5's bare `59>=30` made the model take digits from the wrong number), the high re-check
    works the last step out again by its inverse (a+b=r as r-b; a-b=r as r+b; a 2x2 product's final sum as
    r-tens part) instead of copying the trace, and more weight on the subtraction tiers."""
    global RESTATE_OPERANDS, VERIFY_BY_INVERSE, TIER_WEIGHTS
    RESTATE_OPERANDS, VERIFY_BY_INVERSE = True, True
    TIER_WEIGHTS = [1.0, 1.4, 1.2, 1.3, 1.8, 1.0, 1.8, 2.2, 1.4, 1.3, 2.0]


# ---------- traces: full (medium/high) and compact (low) ----------

def add_lines(a, b, compact):
    sa, sb = str(a), str(b)
    n = max(len(sa), len(sb))
    sa, sb = sa.zfill(n), sb.zfill(n)
    carry, digits, lines = 0, "", []
    for i in range(n - 1, -1, -1):
        x, y = int(sa[i]), int(sb[i])
        s = x + y + carry
        digits = str(s % 10) + digits
        lines.append(f"{x}+{y}{'+1' if carry else ''}={s}>{digits}" if compact else f"{x}+{y}+{carry}={s} c{s // 10} -> {digits}")
        carry = s // 10
    if carry:
        digits = "1" + digits
        lines.append(f">{digits}" if compact else f"c1 -> {digits}")
    return lines, a + b


def sub_lines(a, b, compact):
    """a - b for a >= b, column by column."""
    sa, sb = str(a), str(b).zfill(len(str(a)))
    borrow, digits, lines = 0, "", []
    for i in range(len(sa) - 1, -1, -1):
        x, y = int(sa[i]), int(sb[i])
        dd = x - y - borrow
        lend = dd < 0
        top, dd = (x + 10, dd + 10) if lend else (x, dd)
        digits = str(dd) + digits
        if compact:
            lines.append(f"{top}-{y}{'-1' if borrow else ''}={dd}>{digits}")
        else:
            lines.append(f"{top}-{y}-{borrow}={dd} b{int(lend)} -> {digits}")
        borrow = int(lend)
    stripped = digits.lstrip("0") or "0"
    if stripped != digits:
        lines.append(f">{stripped}" if compact else f"-> {stripped}")
    return lines, a - b


def signed_sub_lines(a, b, compact):
    """The sign is always decided in the open by a comparison line (`59>=30` as well as `7<12`): without it the model
    learnt to take the negative branch where it should not. With RESTATE_OPERANDS that line ends with the subtraction
    the columns work (`59>=30, so 59-30`, `7<12, so -(12-7)`): the first column reads its digits from the line before."""
    if a >= b:
        lines, r = sub_lines(a, b, compact)
        if RESTATE_OPERANDS:
            head = [f"{a}>={b}:{a}-{b}" if compact else f"{a}>={b}, so {a}-{b}"]
        else:
            head = [f"{a}>={b}"] if COMPARE_LINES else []
        return head + lines, r
    lines, r = sub_lines(b, a, compact)
    if RESTATE_OPERANDS:
        head = f"{a}<{b}:-({b}-{a})" if compact else f"{a}<{b}, so -({b}-{a})"
    else:
        head = (f"{a}<{b}:-({b}-{a})" if COMPARE_LINES else f"-({b}-{a})") if compact else f"{a}<{b}, so {b}-{a} and negate"
    tail = f">-{r}" if compact else f"-> -{r}"
    return [head] + lines + [tail], -r


def mul1_lines(a, dgt, compact):
    if a < 10:
        return [f"{a}*{dgt}={a * dgt}"], a * dgt
    sa, carry, digits, lines = str(a), 0, "", []
    for i in range(len(sa) - 1, -1, -1):
        x = int(sa[i])
        p = x * dgt + carry
        digits = str(p % 10) + digits
        if compact:
            lines.append(f"{x}*{dgt}{'+' + str(carry) if carry else ''}={p}>{digits}")
        else:
            lines.append(f"{x}*{dgt}+{carry}={p} c{p // 10} -> {digits}")
        carry = p // 10
    if carry:
        digits = str(carry) + digits
        lines.append(f">{digits}" if compact else f"c{carry} -> {digits}")
    return lines, a * dgt


def mul_lines(a, b, compact):
    if b < 10:
        return mul1_lines(a, b, compact)
    ones, tens = b % 10, b // 10
    l1, p1 = mul1_lines(a, ones, compact)
    l2, p2 = mul1_lines(a, tens, compact)
    lines = [f"{a}*{ones}:"] + l1 + [f"{a}*{tens}:"] + l2 + [f"{p2}*10={p2 * 10}", f"{p1}+{p2 * 10}:"]
    la, total = add_lines(p1, p2 * 10, compact)
    return lines + la, total


def op_lines(a, op, b, compact):
    if op == "+":
        return add_lines(a, b, compact)
    if op == "-":
        return signed_sub_lines(a, b, compact)
    return mul_lines(a, b, compact)


def solve_expr(nums, ops, compact):
    """One operation per step, * first; None when an intermediate would go below zero (not generated)."""
    nums, ops, lines = list(nums), list(ops), []
    while ops:
        i = ops.index("*") if "*" in ops else 0
        a, op, b = nums[i], ops[i], nums[i + 1]
        if op == "-" and a < b:
            return None
        steps, r = op_lines(a, op, b, compact)
        nums[i:i + 2] = [r]
        del ops[i]
        rest = d1.canonical_expr(nums, ops) if ops else str(r)
        simple = len(steps) == 1 and "=" in steps[0] and " c" not in steps[0] and ">" not in steps[0]
        if compact:
            lines.append(f"{steps[0]}|{rest}" if simple else f"{a}{op}{b}:" + ";".join(steps) + f"|{rest}")
        else:
            lines.append(f"{steps[0]}. Now {rest}" if simple else f"{a}{op}{b}: " + "; ".join(steps) + f". Now {rest}")
    return lines, nums[0]


def solve(nums, ops, compact):
    return op_lines(nums[0], ops[0], nums[1], compact) if len(ops) == 1 else solve_expr(nums, ops, compact)


def last_step(nums, ops):
    """(a, op, b, result) of the last operation solve_expr works (* first, then left to right)."""
    nums, ops = list(nums), list(ops)
    while True:
        i = ops.index("*") if "*" in ops else 0
        a, op, b = nums[i], ops[i], nums[i + 1]
        r = a + b if op == "+" else a - b if op == "-" else a * b
        if len(ops) == 1:
            return a, op, b, r
        nums[i:i + 2] = [r]
        del ops[i]


def inverse_check(a, op, b, r):
    """The high re-check of `a op b = r` (full notation), worked afresh by the inverse operation: r-b gives a back for
    a sum, r+b gives a for a difference (|r|+a gives b below zero), r minus the tens part gives the ones part for a
    2-digit multiplier. A 1-digit multiplier (no short inverse) re-checks a single fact by commuting it, a longer one
    by its last column line."""
    if op == "+":
        head, (lines, x) = f"{r}-{b}", sub_lines(r, b, False)
    elif op == "-" and r >= 0:
        head, (lines, x) = f"{r}+{b}", add_lines(r, b, False)
    elif op == "-":
        head, (lines, x) = f"{-r}+{a}", add_lines(-r, a, False)
    elif b >= 10:
        tens = a * (b // 10) * 10
        head, (lines, x) = f"{r}-{tens}", sub_lines(r, tens, False)
    elif a < 10:
        return [f"Wait, let me verify: {b}*{a}={r}"]
    else:
        return ["Wait, let me verify."] + mul1_lines(a, b, False)[0][-1:]
    return [f"Wait, let me verify: {head}"] + lines + [f"Gives {x}."]


# ---------- problems ----------

def make_problem(rng, tier):
    if tier == "neg1-3":
        while True:
            a, b = rand_num(rng, rng.randint(1, 3)), rand_num(rng, rng.randint(1, 3))
            if a < b:
                return problem([a, b], ["-"], tier)
    if tier == "mul3x1":
        return problem([rand_num(rng, 3), rng.randint(2, 9)], ["*"], tier)
    p = d1.make_problem(rng, tier)
    return problem(p["nums"], p["ops"], tier)


def problem(nums, ops, tier):
    _, result = solve(nums, ops, False)
    return dict(tier=tier, nums=nums, ops=ops, result=result, canonical=d1.canonical_expr(nums, ops),
                pretty=d1.pretty_expr(nums, ops))


def trace(p, effort, rng):
    compact = effort == "low"
    lines, _ = solve(p["nums"], p["ops"], compact)
    out = [p["canonical"]] + lines
    if compact:
        return out
    out.append(f"So {p['canonical']}={p['result']}.")
    if effort == "high" and rng.random() < VERIFY_SHARE_HIGH:
        if VERIFY_BY_INVERSE:
            out += inverse_check(*last_step(p["nums"], p["ops"])) + [f"Yes, {p['result']}."]
        else:
            again = lines if len(p["ops"]) == 1 else lines[-1:]
            out += ["Wait, let me verify."] + again + [f"Yes, {p['result']}."]
    return out


def answer_text(p):
    return f"{p['pretty']} = {p['result']}"


# ---------- phrasings ----------

WORD = {"+": "plus", "-": "minus", "*": "times"}
N = d1.NAMES
T = d1.THINGS

# (op or None for any, template). {a} {b} operands, {o} operator, {w} word, {e} canonical, {p} pretty.
TRAIN_TEMPLATES = [
    (None, "What is {e}?"), (None, "What is {a} {o} {b}?"), (None, "What is {a} {w} {b}?"), (None, "{a} {o} {b} = ?"),
    (None, "{e}"), (None, "{a} {o} {b}"), (None, "{a} {w} {b}"), (None, "Compute {a} {w} {b}"), (None, "Calculate {e}"),
    (None, "Please work out {a} {o} {b}."), (None, "What's {a} {o} {b}?"), (None, "What's {a} {w} {b}?"),
    (None, "How much is {a} {o} {b}?"), (None, "Find {a} {o} {b}."), (None, "Solve {e}"), (None, "{e}=?"),
    (None, "Work out {a} {w} {b}"), (None, "what is {a}{o}{b}"), (None, "{a} {w} {b} is?"),
    ("+", "Add {a} and {b}."), ("+", "Add {b} to {a}"), ("+", "What is the sum of {a} and {b}?"),
    ("+", "Sum {a} and {b}"), ("+", "{a} and {b} added together?"),
    ("+", "{n} has {a} {t} and gets {b} more. How many {t} does {n} have now?"),
    ("-", "Subtract {b} from {a}."), ("-", "Take {b} away from {a}"), ("-", "{a} take away {b}"),
    ("-", "What is {a} less {b}?"), ("-", "{n} had {a} {t} and gave away {b}. How many {t} are left?"),
    ("*", "Multiply {a} by {b}."), ("*", "What is the product of {a} and {b}?"), ("*", "{a} x {b}"),
    ("*", "{a} multiplied by {b}"), ("*", "{n} buys {a} boxes with {b} {t} in each. How many {t} is that?"),
]
EXPR_TRAIN = ["What is {p}?", "{p} = ?", "Compute {p}", "Calculate {e}", "{e}", "Evaluate {p}.", "What's {p}?",
              "Work out {p}", "Solve {e}", "how much is {p}", "{p}"]
# Never trained on: the card's "held-out phrasings" rows use only these.
HELDOUT_TEMPLATES = [
    (None, "Can you work out {a} {w} {b}?"), (None, "Tell me what {a} {o} {b} is"), (None, "whats {a}{o}{b}"),
    (None, "I need {a} {w} {b}"), (None, "{a} {w} {b} equals what?"), (None, "Quick: {a} {o} {b}"),
    ("+", "Can you add {a} and {b}?"), ("-", "Can you subtract {b} from {a}?"), ("*", "Can you multiply {a} by {b}?"),
]
EXPR_HELDOUT = ["Can you evaluate {p}?", "whats {e}", "Tell me {p}", "Quick: {e}"]


def fmt_num(n, rng, seps):
    s = str(n)
    if seps and n >= 1000:
        return f"{n:,}"
    return s


def render(template, p, rng, seps=False):
    a, b = (p["nums"] + [None])[:2]
    if len(p["ops"]) == 1:
        op = p["ops"][0]
        return template.format(a=fmt_num(a, rng, seps), b=fmt_num(b, rng, seps), o=op, w=WORD[op], e=p["canonical"],
                               n=rng.choice(N), t=rng.choice(T))
    return template.format(p=p["pretty"], e=p["canonical"])


def perturb(q, rng):
    """Surface noise a person types: casing, doubled spaces, a missing or extra question mark, stray whitespace."""
    r = rng.random()
    if r < 0.12:
        q = q.lower()
    elif r < 0.16:
        q = q.upper()
    if rng.random() < 0.12:
        q = q.replace(" ", "  ", rng.randint(1, 3))
    if rng.random() < 0.15:
        q = q.rstrip("?.")
    elif rng.random() < 0.05 and not q.endswith("?"):
        q += "?"
    if rng.random() < 0.05:
        q = " " + q + " "
    return q


def phrase(rng, p, heldout=False):
    if len(p["ops"]) == 1:
        op = p["ops"][0]
        pool = [t for o, t in (HELDOUT_TEMPLATES if heldout else TRAIN_TEMPLATES) if o in (None, op)]
        if p["tier"] == "neg1-3":
            pool = [t for t in pool if "{n}" not in t]  # no "gave away more than they had"
        seps = rng.random() < 0.3
        q = render(rng.choice(pool), p, rng, seps)
    else:
        q = rng.choice(EXPR_HELDOUT if heldout else EXPR_TRAIN).format(p=p["pretty"], e=p["canonical"])
    return q if heldout else perturb(q, rng)


# ---------- follow-ups: the next question refers to the previous result ----------

FOLLOW_TRAIN = {
    "*": ["and times {k}?", "Now multiply that by {k}", "times {k}?", "What about times {k}?", "Multiply it by {k}.",
          "and multiply by {k}", "now times {k}"],
    "+": ["and plus {k}?", "Add {k} to that.", "now add {k}", "plus {k}?", "And add {k}?", "what if I add {k}?"],
    "-": ["now subtract {k}", "minus {k}?", "and minus {k}?", "Take away {k}.", "Subtract {k} from that.",
          "and take {k} away"],
}
FOLLOW_HELDOUT = {"*": ["Then multiply by {k}."], "+": ["And if I add {k}?"], "-": ["Now take {k} away."]}


def follow_up(rng, prev, heldout=False):
    """A follow-up on the previous result r: (question, problem). prev['result'] >= 0."""
    r = prev["result"]
    choices = ["+", "-"] + (["*", "*"] if r <= 999 else [])
    op = rng.choice(choices)
    if op == "*":
        k = rng.randint(2, 9) if r > 99 or rng.random() < 0.6 else rng.randint(10, 99)
        tier = "mul3x1" if r > 99 else "mul"
    else:
        k = rand_num(rng, rng.randint(1, 3))
        tier = "follow"
    p = problem([r, k], [op], tier)
    pool = (FOLLOW_HELDOUT if heldout else FOLLOW_TRAIN)[op]
    q = rng.choice(pool).format(k=k)
    return (q if heldout else perturb(q, rng)), p


def first_turn_problem(rng):
    t = rng.choice(["add1-3", "add1-3", "sub1-3", "mul", "expr2-3", "add4-5"])
    while True:
        p = make_problem(rng, t)
        if p["result"] >= 0:
            return p


# ---------- prompts ----------

def system_for(effort, user_system):
    """The effort line goes at the end of the system message (alone when there is no other system prompt)."""
    line = EFFORT_LINE.format(effort) if effort else None
    parts = [s for s in (user_system, line) if s]
    return "\n".join(parts) if parts else None


def prompt_for(question, system=None, history=(), effort=None):
    return d1.chatml(system_for(effort, system), list(history) + [("user", question)])


def pick_effort(rng):
    r = rng.random()
    low, medium, high = EFFORT_SHARES
    return "low" if r < low else "medium" if r < low + medium else "high" if r < low + medium + high else None  # None: high


def sample_example(rng, verify=None):
    """One training example (prompt, completion); the loss covers the completion only."""
    system = rng.choice(SYSTEM_PROMPTS) if rng.random() < 0.25 else None
    effort = pick_effort(rng)
    level = effort or "high"
    if rng.random() < 0.03:
        q = perturb(rng.choice(d1.OOD_QUESTIONS), rng)
        return prompt_for(q, system, effort=effort), f"<think>\nThis is not an arithmetic question.\n</think>\n{rng.choice(OOD_ANSWERS)}<|im_end|>"
    history = []
    r = rng.random()
    if r < 0.28:  # follow-up dialog: 2 turns, or 3 (a follow-up of a follow-up)
        prev = first_turn_problem(rng)
        history = [("user", phrase(rng, prev)), ("assistant", answer_text(prev))]
        if rng.random() < 0.3:
            q1, p1 = follow_up(rng, prev)
            if p1["result"] >= 0:
                history += [("user", q1), ("assistant", answer_text(p1))]
                prev = p1
        question, p = follow_up(rng, prev)
        if is_heldout(p["canonical"]):
            return sample_example(rng)
    else:
        if r < 0.36:  # an earlier, unrelated exchange: the new question stands on its own
            prev = first_turn_problem(rng)
            history = [("user", phrase(rng, prev)), ("assistant", answer_text(prev))]
        while True:
            p = make_problem(rng, rng.choices(TIERS, TIER_WEIGHTS)[0])
            if not is_heldout(p["canonical"]):
                break
        question = phrase(rng, p)
        if history and rng.random() < 0.3:
            question = perturb(f"What about {p['pretty']}?", rng)
    if rng.random() < 0.06:  # PDR refine: a bounded workspace of earlier drafts' candidates, some wrong
        cands = [p["result"]] * rng.randint(0, 3) + [p["result"] + rng.choice([-10, -1, 1, 10, 100]) for _ in range(rng.randint(1, 3))]
        rng.shuffle(cands)
        question += "\nCandidate answers from earlier drafts: " + ", ".join(map(str, cands))
    lines = trace(p, level, rng)
    prompt = prompt_for(question, system, history, effort)
    if rng.random() < 0.07:  # thinking cut off by a budget: still give the best answer
        cut = rng.randint(1, max(1, len(lines) - 1))
        body = "\n".join(lines[:cut])
        if rng.random() < 0.5 and len(lines[cut - 1]) > 4:
            body = body[: len(body) - rng.randint(1, len(lines[cut - 1]) - 1)]
        return prompt, f"<think>\n{body}\n</think>\n{answer_text(p)}<|im_end|>"
    return prompt, "<think>\n" + "\n".join(lines) + f"\n</think>\n{answer_text(p)}<|im_end|>"


# ---------- evaluation sets (held-out problems only) ----------

def eval_set(tier, n, seed, phrasing="plain"):
    """n held-out problems of one tier. phrasing: plain ("What is ...?"), heldout (templates never trained on,
    numbers >= 1000 written with thousands separators half the time)."""
    rng, seen, out, tries = random.Random(f"v2-{seed}-{tier}-{phrasing}"), set(), [], 0
    while len(out) < n and tries < 5_000_000:
        tries += 1
        p = make_problem(rng, tier)
        if is_heldout(p["canonical"]) and p["canonical"] not in seen:
            seen.add(p["canonical"])
            q = f"What is {p['pretty']}?" if phrasing == "plain" else phrase(rng, p, heldout=True)
            out.append(dict(question=q, answer=p["result"], tier=tier, canonical=p["canonical"], history=[]))
    return out


def followup_set(n, seed, heldout=False):
    """Two-turn dialogs: the first exchange as the app stores it (visible answer only), then a follow-up."""
    rng, out = random.Random(f"v2-follow-{seed}-{heldout}"), []
    while len(out) < n:
        prev = first_turn_problem(rng)
        q, p = follow_up(rng, prev, heldout=heldout)
        if not is_heldout(p["canonical"]):
            continue
        history = [["user", f"What is {prev['pretty']}?"], ["assistant", answer_text(prev)]]
        out.append(dict(question=q, answer=p["result"], tier="follow-up", canonical=p["canonical"], history=history))
    return out


if __name__ == "__main__":
    import sys
    if "--phase6" in sys.argv:
        use_phase6_mixture()
    rng = random.Random(1)
    for _ in range(8):
        pr, co = sample_example(rng)
        print(pr + co)
        print("-----")
