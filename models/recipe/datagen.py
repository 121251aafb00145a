"""Generated training and evaluation data for reckon-arith: graded arithmetic with step-by-step traces.

Every multi-digit addition / subtraction is done column by column (one line per column, carries and
borrows explicit, the result digits accumulating on the right), so one skill serves every tier and
thinking length grows with difficulty. Problems whose canonical form hashes into the held-out bucket
never appear in training; the evaluation sets draw only from that bucket.
"""
import hashlib
import random

HELDOUT_MOD = 20  # 1 in 20 canonical problems is reserved for evaluation

SYSTEM_PROMPTS = [
    "You are a helpful assistant.",
    "You are Reckon, a careful assistant that thinks step by step.",
    "Answer arithmetic questions accurately.",
    "You are a friendly math tutor.",
]
OOD_QUESTIONS = [
    "What is the capital of France?", "Write a poem about the sea.", "Hello!", "Who are you?",
    "Can you help me write an email?", "What's the weather like today?", "Tell me a joke.",
    "Translate 'good morning' into Spanish.", "What is the meaning of life?", "Hi, how are you?",
    "Summarize the history of Rome.", "Which programming language should I learn?",
    "Recommend a good book.", "What time is it?", "Explain quantum physics.", "thanks!",
]
OOD_ANSWERS = [
    "I can only help with arithmetic: addition, subtraction, multiplication and short expressions.",
    "Sorry, I am a small model that only does arithmetic, such as 37 + 48 or 12 * 7.",
]
NAMES = ["Sam", "Ana", "Lee", "Mia", "Tom", "Eva", "Raj", "Zoe"]
THINGS = ["apples", "coins", "stamps", "marbles", "books", "cards"]


def is_heldout(canonical):
    return int(hashlib.md5(canonical.encode()).hexdigest(), 16) % HELDOUT_MOD == 0


def rand_num(rng, digits):
    return rng.randint(10 ** (digits - 1) if digits > 1 else 0, 10 ** digits - 1)


# ---------- step-by-step traces ----------

def add_lines(a, b):
    """Column addition. Returns (lines, result)."""
    sa, sb = str(a), str(b)
    n = max(len(sa), len(sb))
    sa, sb = sa.zfill(n), sb.zfill(n)
    carry, digits, lines = 0, "", []
    for i in range(n - 1, -1, -1):
        x, y = int(sa[i]), int(sb[i])
        s = x + y + carry
        digits = str(s % 10) + digits
        lines.append(f"{x}+{y}+{carry}={s} c{s // 10} -> {digits}")
        carry = s // 10
    if carry:
        digits = "1" + digits
        lines.append(f"c1 -> {digits}")
    return lines, a + b


def sub_lines(a, b):
    """Column subtraction for a >= b. Returns (lines, result)."""
    sa, sb = str(a), str(b).zfill(len(str(a)))
    borrow, digits, lines = 0, "", []
    for i in range(len(sa) - 1, -1, -1):
        x, y = int(sa[i]), int(sb[i])
        d = x - y - borrow
        if d < 0:
            lines.append(f"{x + 10}-{y}-{borrow}={d + 10} b1 -> {str(d + 10) + digits}")
            digits, borrow = str(d + 10) + digits, 1
        else:
            lines.append(f"{x}-{y}-{borrow}={d} b0 -> {str(d) + digits}")
            digits, borrow = str(d) + digits, 0
    stripped = digits.lstrip("0") or "0"
    if stripped != digits:
        lines.append(f"-> {stripped}")
    return lines, a - b


def mul1_lines(a, d):
    """a (1-2 digits) times one digit d, digit by digit."""
    if a < 10:
        return [f"{a}*{d}={a * d}"], a * d
    sa, carry, digits, lines = str(a), 0, "", []
    for i in range(len(sa) - 1, -1, -1):
        x = int(sa[i])
        p = x * d + carry
        digits = str(p % 10) + digits
        lines.append(f"{x}*{d}+{carry}={p} c{p // 10} -> {digits}")
        carry = p // 10
    if carry:
        digits = str(carry) + digits
        lines.append(f"c{carry} -> {digits}")
    return lines, a * d


def mul_lines(a, b):
    """a * b, up to 2x2 digits: a*ones + a*tens*10, then a column addition."""
    if b < 10:
        return mul1_lines(a, b)
    ones, tens = b % 10, b // 10
    l1, p1 = mul1_lines(a, ones)
    l2, p2 = mul1_lines(a, tens)
    lines = [f"{a}*{ones}:"] + l1 + [f"{a}*{tens}:"] + l2 + [f"{p2}*10={p2 * 10}", f"{p1}+{p2 * 10}:"]
    la, total = add_lines(p1, p2 * 10)
    return lines + la, total


def op_lines(a, op, b):
    if op == "+":
        return add_lines(a, b)
    if op == "-":
        return sub_lines(a, b)
    return mul_lines(a, b)


# ---------- problems ----------

def canonical_expr(nums, ops):
    return "".join(str(n) + o for n, o in zip(nums, ops)) + str(nums[-1])


def pretty_expr(nums, ops):
    return " ".join(str(n) + " " + o for n, o in zip(nums, ops)) + " " + str(nums[-1])


def solve_expr(nums, ops):
    """One operation per step: every * first (left to right), then + and - left to right.
    Returns (lines, result) or None when an intermediate would go negative."""
    nums, ops, lines = list(nums), list(ops), []
    while ops:
        i = ops.index("*") if "*" in ops else 0
        a, op, b = nums[i], ops[i], nums[i + 1]
        if op == "-" and a < b:
            return None
        steps, r = op_lines(a, op, b)
        nums[i:i + 2] = [r]
        del ops[i]
        rest = canonical_expr(nums, ops) if ops else str(r)
        if len(steps) == 1 and "=" in steps[0] and " c" not in steps[0]:
            lines.append(f"{steps[0]}. Now {rest}")
        else:
            lines.append(f"{a}{op}{b}: " + "; ".join(steps) + f". Now {rest}")
    return lines, nums[0]


def make_problem(rng, tier):
    """Returns dict(kind, tier, canonical, pretty, lines, result, nums, ops)."""
    if tier.startswith("add") or tier.startswith("sub"):
        lo, hi = {"1-3": (1, 3), "4-5": (4, 5), "6": (6, 6)}[tier[3:]]
        op = "+" if tier.startswith("add") else "-"
        da = rng.randint(lo, hi)
        db = rng.randint(1, da) if rng.random() < 0.4 else rng.randint(lo, da)
        a, b = rand_num(rng, da), rand_num(rng, db)
        if op == "-" and a < b:
            a, b = b, a
        nums, ops = [a, b], [op]
    elif tier == "mul":
        a, b = rand_num(rng, rng.randint(1, 2)), rand_num(rng, rng.randint(1, 2))
        nums, ops = [a, b], ["*"]
    else:  # expr2-3, expr4-5
        lo, hi = (2, 3) if tier == "expr2-3" else (4, 5)
        while True:
            k = rng.randint(lo, hi)
            ops = [rng.choice("++--*") for _ in range(k)]
            nums = []
            for i in range(k + 1):
                near_mul = (i > 0 and ops[i - 1] == "*") or (i < k and ops[i] == "*")
                nums.append(rng.randint(1, 9) if near_mul else rand_num(rng, rng.randint(1, 2)))
            if solve_expr(nums, ops) is not None:
                break
    if len(ops) == 1:
        lines, result = op_lines(nums[0], ops[0], nums[1])
    else:
        lines, result = solve_expr(nums, ops)
    return dict(tier=tier, canonical=canonical_expr(nums, ops), pretty=pretty_expr(nums, ops),
                lines=lines, result=result, nums=nums, ops=ops)


TIERS = ["add1-3", "sub1-3", "add4-5", "sub4-5", "add6", "sub6", "mul", "expr2-3", "expr4-5"]
# training mixture: harder tiers get more weight because they need more learning
TIER_WEIGHTS = [1.0, 1.0, 1.6, 1.6, 1.2, 1.2, 1.2, 1.5, 1.5]


def phrase(rng, p):
    a, b = (p["nums"] + [None])[:2]
    if len(p["ops"]) == 1:
        op = p["ops"][0]
        word = {"+": "plus", "-": "minus", "*": "times"}[op]
        choices = [f"What is {p['canonical']}?", f"What is {a} {op} {b}?", f"{a} {op} {b} = ?",
                   f"Compute {a} {word} {b}", f"Calculate {p['canonical']}", f"{p['canonical']}",
                   f"What is {a} {word} {b}?", f"Please work out {a} {op} {b}."]
        n, t = rng.choice(NAMES), rng.choice(THINGS)
        if op == "+":
            choices.append(f"{n} has {a} {t} and gets {b} more. How many {t} does {n} have now?")
        elif op == "-":
            choices.append(f"{n} had {a} {t} and gave away {b}. How many {t} are left?")
        else:
            choices.append(f"{n} buys {a} boxes with {b} {t} in each. How many {t} is that?")
        return rng.choice(choices)
    return rng.choice([f"What is {p['pretty']}?", f"{p['pretty']} = ?", f"Compute {p['pretty']}",
                       f"Calculate {p['canonical']}", f"{p['canonical']}", f"Evaluate {p['pretty']}."])


def answer_text(p):
    return f"{p['pretty']} = {p['result']}"


def chatml(system, turns):
    """turns: list of (role, text). The last assistant text is left open for the caller."""
    s = f"<|im_start|>system\n{system}<|im_end|>\n" if system else ""
    for role, text in turns:
        s += f"<|im_start|>{role}\n{text}<|im_end|>\n"
    return s + "<|im_start|>assistant\n"


def prompt_for(question, system=None, history=()):
    return chatml(system, list(history) + [("user", question)])


def full_trace(p, rng, verify):
    lines = [p["canonical"]] + p["lines"] + [f"So {p['canonical']}={p['result']}."]
    if verify:
        # the overthinking region: a redundant re-check after the answer is already known
        again = p["lines"] if len(p["ops"]) == 1 else p["lines"][-1:]
        lines += ["Wait, let me verify."] + again + [f"Yes, {p['result']}."]
    return lines


# Share of traces that re-check a known answer ("Wait, let me verify."), the overthinking the controller cuts.
# "flat" (phase 1): a quarter everywhere - greedy decoding then never re-checks, so there is no overthinking to cut.
# "graded" (phase 2): like real reasoning models, it re-checks most of the time, the easier the problem the more
# often. Every tier stays above one half so that greedy decoding re-checks everywhere and thinking still grows with
# difficulty within each family (a tier-dependent greedy choice would make easy traces longer than harder ones).
VERIFY_SHARES = {
    "flat": {t: 0.25 for t in ["add1-3", "sub1-3", "add4-5", "sub4-5", "add6", "sub6", "mul", "expr2-3", "expr4-5"]},
    "graded": {"add1-3": 0.85, "sub1-3": 0.85, "add4-5": 0.75, "sub4-5": 0.75, "expr2-3": 0.75,
               "add6": 0.65, "sub6": 0.65, "mul": 0.65, "expr4-5": 0.6},
}


def sample_example(rng, tier=None, verify="flat"):
    """One training example: (prompt, completion). The loss covers the completion only."""
    r = rng.random()
    system = rng.choice(SYSTEM_PROMPTS) if rng.random() < 0.25 else None
    if r < 0.03:  # out of domain: one short polite sentence
        q = rng.choice(OOD_QUESTIONS)
        return prompt_for(q, system), f"<think>\nThis is not an arithmetic question.\n</think>\n{rng.choice(OOD_ANSWERS)}<|im_end|>"
    while True:
        t = tier or rng.choices(TIERS, TIER_WEIGHTS)[0]
        p = make_problem(rng, t)
        if not is_heldout(p["canonical"]):
            break
    history = []
    if rng.random() < 0.05:  # multi-turn: an earlier exchange, answer only (thinking is not kept in history)
        q0 = make_problem(rng, "add1-3")
        history = [("user", phrase(rng, q0)), ("assistant", answer_text(q0))]
    question = phrase(rng, p)
    if rng.random() < 0.08:  # PDR refine: a bounded workspace of earlier drafts' candidates, some wrong
        cands = [p["result"]] * rng.randint(0, 3) + [p["result"] + rng.choice([-10, -1, 1, 10, 100]) for _ in range(rng.randint(1, 3))]
        cands = [c for c in cands if c >= 0] or [p["result"]]
        rng.shuffle(cands)
        question += "\nCandidate answers from earlier drafts: " + ", ".join(map(str, cands))
    lines = full_trace(p, rng, verify=rng.random() < VERIFY_SHARES[verify][t])
    if rng.random() < 0.08:  # thinking cut off by a budget: still give the best answer
        cut = rng.randint(1, max(1, len(lines) - 1))
        body = "\n".join(lines[:cut])
        if rng.random() < 0.5 and len(lines[cut - 1]) > 4:
            body = body[: len(body) - rng.randint(1, len(lines[cut - 1]) - 1)]
        return prompt_for(question, system, history), f"<think>\n{body}\n</think>\n{answer_text(p)}<|im_end|>"
    return prompt_for(question, system, history), "<think>\n" + "\n".join(lines) + f"\n</think>\n{answer_text(p)}<|im_end|>"


def eval_set(tier, n, seed):
    """n held-out problems of one tier, never seen in training, with a plain phrasing."""
    rng, seen, out = random.Random(f"{seed}-{tier}"), set(), []
    tries = 0
    while len(out) < n and tries < 5_000_000:
        tries += 1
        p = make_problem(rng, tier)
        if is_heldout(p["canonical"]) and p["canonical"] not in seen:
            seen.add(p["canonical"])
            out.append(dict(question=f"What is {p['pretty']}?", answer=p["result"], tier=tier, canonical=p["canonical"]))
    return out


if __name__ == "__main__":
    rng = random.Random(1)
    for _ in range(6):
        pr, co = sample_example(rng)
        print(pr + co)
        print("-----")
    for t in TIERS:
        p = make_problem(rng, t)
        print(t, len("\n".join(full_trace(p, rng, False))))
