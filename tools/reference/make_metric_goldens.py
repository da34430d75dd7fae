#!/usr/bin/env python3
"""Writes tests/golden/metrics.json: reference values for every metric in metrics/metrics.h.

The values come from the Python the reference evaluates with (ALGORITHMS.md §6.3, §7.3, §8):
  * LongBench's metrics.py functions, re-typed below with the same statements (LongBench is not
    a package), over the PyPI packages they import: `rouge` 1.0.1 (pltrdy), `fuzzywuzzy` 0.18.0
    with `python-Levenshtein` 0.27 installed (so fuzz.ratio uses Levenshtein.ratio);
  * Google's `rouge-score` 0.1.2 with nltk's PorterStemmer (needle runner, head detection);
  * run_needle_visulize.py's heatmap score and BABILong's compare_answers, re-typed likewise.
Inputs are real material (answers from data/longbench/{qasper,multi_news}.jsonl,
targets and questions from data/babilong/0k/qa*.jsonl) with deterministic perturbations
as predictions, plus hand-written edge cases (empty, punctuation only, articles only, accents,
Greek/Cyrillic/CJK, full-width, numbers, repeats, long texts, code lines, substring classes).

pltrdy rouge recurses once per LCS read-out step, so long sentences raise RecursionError, which
LongBench's rouge_score turns into 0.0. That depends on the call depth, so the rouge values are
computed from module level through scorer() -> rouge_score(), the frames LongBench's eval.py has,
and the measured threshold is stored as meta.pltrdy_max_readout_steps.

The zh metrics use jieba 0.42.1 (PyPI; its dict.txt and finalseg/prob_*.py are the files of
Debian's python3-jieba 0.42.1-3, which the C++ port metrics/jieba.h reads; meta.sha256 pins them).
Section "jieba" holds jieba.cut(text, cut_all=False) token lists and real qa_f1_zh_score /
rouge_zh_score values. Section "zh_structure" replaces jieba.cut by a per-code-point split (the
C++ test uses the same segmenter), which checks everything around the segmentation on its own.

Usage: python3 tools/reference/make_metric_goldens.py --data-dir data \
           --out tests/golden/metrics.json
Deterministic: fixed seeds and case order, no timestamps or absolute paths.
Data files are read plain or as NAME.gz (data_files.py).
"""

import argparse
import hashlib
import json
import logging
import os
import random
import re
import string
import sys
import tempfile
import unicodedata
from collections import Counter

import fuzzywuzzy
import jieba
import Levenshtein
import nltk
from fuzzywuzzy import fuzz
from jieba import finalseg
from rouge import Rouge
from rouge_score import rouge_scorer

from data_files import DATA_DIR, open_data

# ---------------------------------------------------------------------------------------------
# LongBench metrics.py, statement for statement.


def normalize_answer(s):
    def remove_articles(text):
        return re.sub(r"\b(a|an|the)\b", " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    def lower(text):
        return text.lower()

    return white_space_fix(remove_articles(remove_punc(lower(s))))


def normalize_zh_answer(s):
    def white_space_fix(text):
        return "".join(text.split())

    def remove_punc(text):
        cn_punctuation = "！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏."
        all_punctuation = set(string.punctuation + cn_punctuation)
        return "".join(ch for ch in text if ch not in all_punctuation)

    def lower(text):
        return text.lower()

    return white_space_fix(remove_punc(lower(s)))


def count_score(prediction, ground_truth, **kwargs):
    numbers = re.findall(r"\d+", prediction)
    right_num = 0
    for number in numbers:
        if str(number) == str(ground_truth):
            right_num += 1
    final_score = 0.0 if len(numbers) == 0 else right_num / len(numbers)
    return float(final_score)


def retrieval_score(prediction, ground_truth, **kwargs):
    pattern = r"Paragraph (\d+)"
    matches = re.findall(pattern, ground_truth)
    ground_truth_id = matches[0]
    numbers = re.findall(r"\d+", prediction)
    right_num = 0
    for number in numbers:
        if str(number) == str(ground_truth_id):
            right_num += 1
    final_score = 0.0 if len(numbers) == 0 else right_num / len(numbers)
    return float(final_score)


def retrieval_zh_score(prediction, ground_truth, **kwargs):
    pattern = r"段落(\d+)"
    matches = re.findall(pattern, ground_truth)
    ground_truth_id = matches[0]
    numbers = re.findall(r"\d+", prediction)
    right_num = 0
    for number in numbers:
        if str(number) == str(ground_truth_id):
            right_num += 1
    final_score = 0.0 if len(numbers) == 0 else right_num / len(numbers)
    return float(final_score)


def code_sim_score(prediction, ground_truth, **kwargs):
    all_lines = prediction.lstrip("\n").split("\n")
    prediction = ""
    for line in all_lines:
        if ("`" not in line) and ("#" not in line) and ("//" not in line):
            prediction = line
            break
    return fuzz.ratio(prediction, ground_truth) / 100


def classification_score(prediction, ground_truth, **kwargs):
    em_match_list = []
    all_classes = kwargs["all_classes"]
    for class_name in all_classes:
        if class_name in prediction:
            em_match_list.append(class_name)
    for match_term in em_match_list:
        if match_term in ground_truth and match_term != ground_truth:
            em_match_list.remove(match_term)
    if ground_truth in em_match_list:
        score = 1.0 / len(em_match_list)
    else:
        score = 0.0
    return score


def rouge_score(prediction, ground_truth, **kwargs):
    rouge = Rouge()
    try:
        scores = rouge.get_scores([prediction], [ground_truth], avg=True)
    except:  # noqa: E722 -- the reference's bare except (RecursionError included)
        return 0.0
    return scores["rouge-l"]["f"]


def rouge_zh_score(prediction, ground_truth, **kwargs):
    prediction = " ".join(list(jieba.cut(prediction, cut_all=False)))
    ground_truth = " ".join(list(jieba.cut(ground_truth, cut_all=False)))
    score = rouge_score(prediction, ground_truth)
    return score


def f1_score(prediction, ground_truth, **kwargs):
    common = Counter(prediction) & Counter(ground_truth)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(prediction)
    recall = 1.0 * num_same / len(ground_truth)
    f1 = (2 * precision * recall) / (precision + recall)
    return f1


def qa_f1_score(prediction, ground_truth, **kwargs):
    normalized_prediction = normalize_answer(prediction)
    normalized_ground_truth = normalize_answer(ground_truth)
    prediction_tokens = normalized_prediction.split()
    ground_truth_tokens = normalized_ground_truth.split()
    return f1_score(prediction_tokens, ground_truth_tokens)


def qa_f1_zh_score(prediction, ground_truth, **kwargs):
    prediction_tokens = list(jieba.cut(prediction, cut_all=False))
    ground_truth_tokens = list(jieba.cut(ground_truth, cut_all=False))
    prediction_tokens = [normalize_zh_answer(token) for token in prediction_tokens]
    ground_truth_tokens = [normalize_zh_answer(token) for token in ground_truth_tokens]
    prediction_tokens = [token for token in prediction_tokens if len(token) > 0]
    ground_truth_tokens = [token for token in ground_truth_tokens if len(token) > 0]
    return f1_score(prediction_tokens, ground_truth_tokens)


# eval.py's scorer for one example (the frame between <module> and the metric).
def scorer(metric, prediction, ground_truths, all_classes=None):
    score = 0.0
    for ground_truth in ground_truths:
        score = max(score, metric(prediction, ground_truth, all_classes=all_classes))
    return score


# ---------------------------------------------------------------------------------------------
# Needle (run_needle_visulize.py, run_needle_in_haystack.py) and BABILong (metrics.py).

NEEDLE = "\nThe best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day.\n"


def needle_heatmap_score(model_response):
    model_response = model_response.lower()
    expected_answer = "eat a sandwich and sit in Dolores Park on a sunny day.".lower().split()
    return len(set(model_response.split()).intersection(set(expected_answer))) / len(
        set(expected_answer))


ROUGE1 = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)

TASK_LABELS = {
    "qa1": ["bathroom", "bedroom", "garden", "hallway", "kitchen", "office"],
    "qa2": ["bathroom", "bedroom", "garden", "hallway", "kitchen", "office"],
    "qa3": ["bathroom", "bedroom", "garden", "hallway", "kitchen", "office"],
    "qa4": ["bathroom", "bedroom", "garden", "hallway", "kitchen", "office"],
    "qa5": ["Bill", "Fred", "Jeff", "Mary", "apple", "football", "milk"],
}


def preprocess_output(output):
    output = output.lower()
    output = output.split(".")[0]
    output = output.split("<context>")[0]
    output = output.split("<example>")[0]
    output = output.split("Question")[0]
    return output


def compare_answers(target, output, question, task_labels):
    output = preprocess_output(output)
    target = target.lower()
    task_labels = {label.lower() for label in task_labels}
    labels_in_question = {label for label in task_labels if label in question.lower()}
    labels_in_output = {label for label in task_labels if label in output}
    labels_in_output = labels_in_output - labels_in_question
    if "," in target and len(target) > 3:
        subtargets = target.split(",")
        num_subtargets = len(subtargets)
        if all([t in labels_in_output for t in subtargets]) and len(labels_in_output) == num_subtargets:
            return True
    else:
        if target in labels_in_output and len(labels_in_output) == 1:
            return True
    return False


# ---------------------------------------------------------------------------------------------
# Inputs.

UNICODE_SAMPLES = [
    "", " ", "\t\n", ".", "...", "!!!", "?!.,;:", "a", "A", "an", "the", "The", "THE", "a an the",
    "The A An", "the the the", "a.an,the!", "l'the", "the's", "a_b", "an_", "_the_", "the2", "2the",
    "Café Müller", "CAFÉ", "naïve façade", "Straße", "STRASSE", "İstanbul", "ıi", "KELVIN \u212a",
    "ΟΔΟΣ ΣΟΦΟΣ", "ΣΑΣ.", "Σ", "ΑΣ", "ΑΣ'Α", "ΑΣ\u0301", "ΑΣ\u0301Α", "'Σ'", "ΜΑΣ-ΜΑΣ",
    "КИЕВ Москва", "Ёж и ЁЛКА", "ԱՐԱՐԱՏ", "ᲒᲔᲝᲠᲒᲘᲐ", "ᏣᎳᎩ", "東京 タワー", "北京大学", "中文，标点。",
    "ＡＢＣ　ｄｅｆ", "ＴＨＥ ａｎ", "the\u0301 cat", "a\u0308 b", "e\u0301the", "the—the", "a–b",
    "1,000 dollars", "3.14 is pi", "Ⅻ apostles", "x² + y²", "٣٤ and 34", "１２３", "the\u00a0cat",
    "a\u2003the\u3000an", "the\u200bcat", "a\x1cb\x1dc\x1ed\x1fe", "a\x85b", "the\u2028end",
    "𝐀𝐁𝐂 math bold", "emoji 😀 the 😀", "A\u0345Σ", "ǅungla ǈ", "ﬁnance ﬀ", "Ω ohm \u2126",
]

PERTURBATIONS = [
    lambda s: s,
    lambda s: s.upper(),
    lambda s: s.lower(),
    lambda s: "The " + s + ".",
    lambda s: "Answer: " + s,
    lambda s: " ".join(s.split()[: max(1, len(s.split()) // 2)]),
    lambda s: " ".join(reversed(s.split())),
    lambda s: s.replace(" ", "  \n "),
    lambda s: re.sub(r"[aeiou]", "", s),
    lambda s: s + " " + s,
    lambda s: ",".join(s.split()),
    lambda s: "an " + s + " the a",
]


def load_jsonl(path):
    with open_data(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def qasper_pairs(data_dir):
    rows = load_jsonl(f"{data_dir}/longbench/qasper.jsonl")
    pairs = []
    for i, row in enumerate(rows):
        answers = row["answers"]
        for k, perturb in enumerate(PERTURBATIONS):
            if (i + k) % 3 != 0:
                continue
            pairs.append((perturb(answers[0]), answers))
    return rows, pairs


def random_words(rng, vocab, n):
    return " ".join(rng.choice(vocab) for _ in range(n))


# ---------------------------------------------------------------------------------------------
# Sections.


def section_unicode():
    # Digests over every code point, checked against the generated tables in C++.
    def fnv(data, h=0xCBF29CE484222325):
        for b in data:
            h ^= b
            h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        return h

    lower_bytes = bytearray()
    flags = {"space": bytearray(), "alnum": bytearray(), "decimal": bytearray()}
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        ch = chr(c)
        lower_bytes += ch.lower().encode("utf-32-le")
        flags["space"].append(int(ch.isspace()))
        flags["alnum"].append(int(ch.isalnum()))
        flags["decimal"].append(int(ch.isdecimal()))
    digests = {"lower": f"{fnv(lower_bytes):016x}"}
    for name, data in flags.items():
        digests[name] = f"{fnv(data):016x}"
    strings = [{"s": s, "lower": s.lower(), "split": s.split()} for s in UNICODE_SAMPLES]
    return {"digests": digests, "strings": strings}


def section_qa_f1(qasper_rows, pairs):
    cases = []
    for pred, answers in pairs:
        for gt in answers:
            cases.append({"pred": pred, "gt": gt, "value": qa_f1_score(pred, gt)})
    edge = [("", "answer"), ("answer", ""), ("", ""), ("...", "..."), ("the a an", "the"),
            ("The cat", "a cat"), ("cat cat cat", "cat"), ("cat", "cat cat dog"),
            ("Yes", "yes"), ("unanswerable", "Unanswerable"), ("1,000", "1000"),
            ("3.5%", "35"), ("café", "CAFÉ"), ("ΟΔΟΣ", "οδος"), ("ΟΔΟΣ", "οδοσ"),
            ("Straße", "strasse"), ("İstanbul", "istanbul"), ("東京 タワー", "東京 タワー"),
            ("北京大学", "北京 大学"), ("ＡＢＣ", "abc"), ("ＡＢＣ", "ａｂｃ"), ("the\u0301 cat", "cat"),
            ("a\u00a0cat", "cat"), ("a\u200bcat", "cat"), ("l'the end", "lthe end"),
            ("an_ apple", "apple"), ("Ⅻ", "ⅻ"), ("x²", "x2")]
    for s in UNICODE_SAMPLES[::3]:
        edge.append((s, "the cat sat"))
        edge.append(("a cat " + s, s))
    long_text = " ".join(qasper_rows[0]["context"].split()[:1500])
    edge.append((long_text, qasper_rows[0]["answers"][0]))
    edge.append((qasper_rows[1]["answers"][0], long_text))
    for pred, gt in edge:
        cases.append({"pred": pred, "gt": gt, "value": qa_f1_score(pred, gt)})
    examples = [{"pred": pred, "answers": answers, "value": scorer(qa_f1_score, pred, answers)}
                for pred, answers in pairs[::2]]
    normalize = [{"s": s, "value": normalize_answer(s)} for s in UNICODE_SAMPLES]
    return cases, examples, normalize


def rouge_inputs(data_dir):
    rows = load_jsonl(f"{data_dir}/longbench/multi_news.jsonl")
    rng = random.Random(7)
    pairs = []
    for i, row in enumerate(rows[:36]):
        gt = row["answers"][0]
        sentences = gt.split(". ")
        short_gt = ". ".join(sentences[:3]) + "."
        kind = i % 6
        if kind == 0:
            pred = short_gt
        elif kind == 1:
            pred = ". ".join(sentences[1:4]).upper()
        elif kind == 2:
            words = short_gt.split()
            rng.shuffle(words)
            pred = " ".join(words)
        elif kind == 3:
            pred = ". ".join(reversed(sentences[:4]))
        elif kind == 4:
            pred = short_gt.replace(",", " ,").replace("the", "a")
        else:
            pred = rows[i + 1]["answers"][0][:300]
        pairs.append((pred, short_gt if i % 4 else gt))
    edge = [("", "reference text"), ("prediction", ""), ("", ""), (".", "a b"), ("a b", "."),
            ("...", "..."), (" ", "a"), ("a.  . b", "a. b"), ("a. ", "a. b"), (" . ", " . "),
            ("The cat. The cat.", "the cat"), ("cat cat cat", "cat"), ("a b c d", "d c b a"),
            ("x y z", "a b c"), ("Café. Müller", "café müller"), ("東京 タワー。大きい", "東京 タワー"),
            ("3.14 is pi", "pi is 3.14"), ("one\u00a0two. three", "one two three"),
            ("A\u2003B", "A B"), ("a b a b a b", "b a b a")]
    pairs += edge
    return pairs


def readout_steps(reference, hypothesis):
    """Steps of pltrdy's recursive _recon read-out for one sentence pair (to pick cases)."""
    x, y = reference.split(" "), hypothesis.split(" ")
    table = {}  # the same values as rouge_score._lcs, filled row by row
    row = [0] * (len(y) + 1)
    for j in range(len(y) + 1):
        table[0, j] = 0
    for i in range(1, len(x) + 1):
        new_row = [0] * (len(y) + 1)
        for j in range(1, len(y) + 1):
            new_row[j] = row[j - 1] + 1 if x[i - 1] == y[j - 1] else max(row[j], new_row[j - 1])
        for j in range(len(y) + 1):
            table[i, j] = new_row[j]
        row = new_row
    i, j, steps = len(x), len(y), 0
    while i > 0 and j > 0:
        if x[i - 1] == y[j - 1]:
            i, j = i - 1, j - 1
        elif table[i - 1, j] > table[i, j - 1]:
            i -= 1
        else:
            j -= 1
        steps += 1
    return steps


def rouge_recursion_inputs():
    # Read-outs around the RecursionError threshold (990 steps): diagonal paths of k steps, a
    # path of k - 1 left steps plus two, and random sentences whose read-out lands just below or
    # above the threshold, with enough vocabulary that their scores are not trivially 1.
    rng = random.Random(11)
    pairs = []
    for k in (989, 990, 991):
        words = " ".join(f"w{i}" for i in range(k))
        pairs.append((words, words))
    for k in (988, 989, 990):  # read-out of k + 1 steps
        pairs.append(("w0 " + " ".join(f"x{i}" for i in range(k - 1)), "w0 w1"))
    vocab = [f"v{i}" for i in range(300)]
    wanted = {985: 1, 989: 1, 990: 2, 991: 2, 995: 1}
    while any(wanted.values()):
        n = rng.randint(480, 560)
        m = rng.randint(480, 560)
        ref, hyp = random_words(rng, vocab, n), random_words(rng, vocab, m)
        steps = readout_steps(ref, hyp)
        if wanted.get(steps, 0) > 0:
            wanted[steps] -= 1
            pairs.append((hyp, ref))
    pairs.append((random_words(rng, vocab[:40], 300) + ". short one", random_words(rng, vocab[:40], 700)))
    return pairs


def section_rouge1(qasper_rows):
    targets = [NEEDLE, qasper_rows[2]["answers"][0], "The quick brown fox jumps over the lazy dog",
               "Running runners ran; generalizations generalized.", ""]
    preds = ["eat a sandwich and sit in Dolores Park on a sunny day.",
             "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a "
             "sunny day.", "Eating sandwiches, sitting in parks!", "", "   ", "sunny sunny sunny day",
             "İstanbul \u212aelvin café", "The quick brown dog jumps on the log.",
             "generalization runs", qasper_rows[3]["answers"][0], "12 34 1234 12a"]
    cases = []
    for t in targets:
        for p in preds:
            s = ROUGE1.score(t, p)["rouge1"]
            cases.append({"target": t, "pred": p, "p": s.precision, "r": s.recall,
                          "f": s.fmeasure})
    tokenize = [{"s": s, "tokens": ROUGE1._tokenizer.tokenize(s)} for s in UNICODE_SAMPLES + preds]
    return cases, tokenize


def section_porter(qasper_rows):
    handmade = ("caresses ponies ties caress cats feed agreed plastered bled motoring sing "
                "conflated troubled sized hopping tanned falling hissing fizzed failing filing "
                "happy sky skies dying lying tying news innings inning outings canning howe "
                "proceed exceed succeed relational conditional rational valenci hesitanci "
                "digitizer conformabli radicalli differentli vileli analogousli vietnamization "
                "predication operator feudalism decisiveness hopefulness callousness formaliti "
                "sensitiviti sensibiliti triplicate formative formalize electriciti electrical "
                "hopeful goodness revival allowance inference airliner gyroscopic adjustable "
                "defensible irritant replacement adjustment dependent adoption homologou "
                "communism activate angulariti homologous effective bowdlerize probate rate "
                "cease controll roll yyyy syzygy toy enjoy enjoyment dies flies spied died "
                "geology archaeology theology spy fly try generously fullness beautifulli "
                "agreement disagreed bleed bleeding eed ied ies sses 1234 abc123 y yes says "
                "alliance radically hopefully").split()
    words = set(handmade)
    for row in qasper_rows:
        words.update(t for t in re.findall(r"[a-z0-9]+", row["context"].lower()) if len(t) > 3)
    ordered = sorted(words)
    keep = sorted(set(handmade) | set(ordered[:: max(1, len(ordered) // 1200)]))
    stemmer = nltk.stem.porter.PorterStemmer()
    return [[w, stemmer.stem(w)] for w in keep]


def section_needle():
    responses = [
        "eat a sandwich and sit in Dolores Park on a sunny day.",
        "Eat a sandwich and sit in Dolores Park on a sunny day",
        "EAT A SANDWICH AND SIT IN DOLORES PARK ON A SUNNY DAY.",
        "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a "
        "sunny day.", "eat\u00a0a\u3000sandwich\u2003and", "eat a sandwich. sit in dolores park.",
        "", "   ", "day. day. day.", "go to the Golden Gate Bridge", "sunny,day.", "İn the park",
        "a a a a", "dolores park on a sunny day.\n\nThe best thing", "on\x1cin\x85sit",
    ]
    heat = [{"response": r, "value": needle_heatmap_score(r)} for r in responses]
    runner = [{"needle": NEEDLE, "response": r, "value": ROUGE1.score(NEEDLE, r)["rouge1"].fmeasure * 10}
              for r in responses]
    return heat, runner


TREC_CLASSES = ["Food", "Date", "Order, rank", "Speed", "Disease and medicine", "Abbreviation",
                "Language", "Other entity", "Animal", "Expression abbreviated", "Price",
                "Other location", "Other number", "City", "Country", "Entity", "Other",
                "Description of something", "Definition of something", "Individual", "Color"]


def section_classification():
    lists = [TREC_CLASSES, ["Other", "Other entity", "Other location", "Other number"],
             ["a", "ab", "abc", "b", "bc"], ["x", "x", "xy", "y"], ["", "Food"],
             ["Entity", "Other entity", "Entity", "Other"]]
    preds = ["Food", "Other entity", "The answer is Other location", "Other", "Date and Food",
             "abc", "ab bc", "xy", "x", "", "Expression abbreviated, Abbreviation",
             "Entity Other entity Other", "Type: Disease and medicine.", "other entity"]
    cases = []
    for index, classes in enumerate(lists):
        for gt in dict.fromkeys(classes[:4] + ["Other entity", "abc", "Entity"]):
            for pred in preds:
                cases.append({"pred": pred, "gt": gt, "class_list": index,
                              "value": classification_score(pred, gt, all_classes=classes)})
    return {"class_lists": lists, "cases": cases}


def section_numbers():
    retrieval = []
    gts = ["Paragraph 12", "Paragraph 3", "The answer is Paragraph 27.", "Paragraph 1 and Paragraph 2",
           "Paragraph ١٢", "no paragraph here", "Paragraph x 4"]
    preds = ["Paragraph 12", "12", "Paragraph 1, Paragraph 12", "Paragraph 120", "012", "12 12 12 3",
             "The answer is 27", "none", "", "١٢", "Paragraph ١٢ or 12", "1 2", "3.5 and 3",
             "２７", "Paragraph 27"]
    for gt in gts:
        for pred in preds:
            try:
                retrieval.append({"pred": pred, "gt": gt, "value": retrieval_score(pred, gt)})
            except IndexError:
                retrieval.append({"pred": pred, "gt": gt, "error": True})
    retrieval_zh = []
    for gt in ["段落12", "答案是段落3。", "段落 5", "段落١٢"]:
        for pred in ["段落12", "12", "段落3和段落12", "３", "", "١٢ 12"]:
            try:
                retrieval_zh.append({"pred": pred, "gt": gt, "value": retrieval_zh_score(pred, gt)})
            except IndexError:
                retrieval_zh.append({"pred": pred, "gt": gt, "error": True})
    count = []
    for gt in ["3", "12", "0", "١٢"]:
        for pred in ["3", "There are 3 paragraphs", "3 or 4", "12", "12 3 12", "", "none", "03",
                     "three", "١٢", "1,2", "33"]:
            count.append({"pred": pred, "gt": gt, "value": count_score(pred, gt)})
    return retrieval, retrieval_zh, count


def section_code_sim():
    gts = ["return self.value + 1", "for (int i = 0; i < n; ++i) {", "x = foo(bar, baz)", "",
           "print('héllo wörld')"]
    preds = ["return self.value + 1", "\n\n    return self.value + 1\n", "# comment\nreturn x",
             "```python\nreturn self.value\n```", "// c comment\nfor (int i = 0; i < n; i++) {",
             "x = foo(bar, baz)  # trailing", "x = foo(bar,baz)", "", "\n\n", "#\n//\n`",
             "print('hello world')", "a`b\nc#d\ne//f\nplain line", "    x = foo(bar, baz)",
             "return", "日本語のコード = 1"]
    cases = []
    for gt in gts:
        for pred in preds:
            cases.append({"pred": pred, "gt": gt, "value": code_sim_score(pred, gt)})
    rng = random.Random(5)
    ratio = []
    for _ in range(120):  # half-way cases of 100 * ratio exercise round-half-even and 1 - d / L
        n = rng.choice([2, 3, 4, 5, 8, 10, 25, 50, 100])
        a = "".join(rng.choice("abcé") for _ in range(n))
        b = "".join(rng.choice("abcé") for _ in range(rng.choice([n, 2 * n, 3 * n, n + 1])))
        ratio.append({"a": a, "b": b, "value": fuzz.ratio(a, b)})
    return cases, ratio


def section_babilong(data_dir):
    rng = random.Random(3)
    cases = []
    for task in ["qa1", "qa2", "qa3", "qa4", "qa5"]:
        labels = TASK_LABELS[task]
        rows = load_jsonl(f"{data_dir}/babilong/0k/{task}.jsonl")[:12]
        for row in rows:
            target, question = row["target"], row["question"]
            other = rng.choice([label for label in labels if label.lower() != target.lower()])
            preds = [
                f"The most recent location of X is {target}.", target, target.upper(),
                f"{target}. Then {other}.", f"{other} or {target}", f"<context>{target}",
                f"It is {other}", f"Question: {target}", f"al{target.lower()}", "",
                f"{target}<example>{other}",
            ]
            for pred in rng.sample(preds, 6):
                cases.append({"task": task, "target": target, "pred": pred, "question": question,
                              "value": compare_answers(target, pred, question, labels)})
    extra = [("qa5", "apple,milk", "apple and milk", "What did Mary carry? "),
             ("qa5", "apple,milk", "milk, apple, football", "What did Mary carry? "),
             ("qa5", "apple,apple", "apple", "What? "), ("qa5", "a,b", "a", "?"),
             ("qa5", "Fred", "Alfred", "Who? "), ("qa5", "Fred", "Fred gave it to Mary",
             "Who did Mary give it to? "), ("qa1", "Kitchen", "KITCHEN", "Where is Ö? "),
             ("qa3", "garden", "Before the kitchen the apple was in the garden.",
              "Where was the apple before the kitchen? ")]
    for task, target, pred, question in extra:
        cases.append({"task": task, "target": target, "pred": pred, "question": question,
                      "value": compare_answers(target, pred, question, TASK_LABELS[task])})
    splits = [[True, False, True], [False] * 7, [True] * 3, [True, False, False] * 33 + [True]]
    split_cases = [{"correct": c, "value": 100 * sum(c) / len(c)} for c in splits]
    return cases, split_cases


def section_aggregate():
    values = [32.305, 6.625, 7.175, 8.815, 9.465, 7.925, 0.125, 0.375, 2.675, 1.005, 0.0, 100.0,
              -0.125, 12.345, 99.995, 1e-9, 0.285, 1234.5678]
    rounding = [{"x": x, "ndigits": 2, "value": round(x, 2)} for x in values]
    rounding += [{"x": x, "ndigits": 0, "value": round(x, 0)} for x in (0.5, 1.5, 2.5, -0.5)]
    rng = random.Random(9)
    datasets = []
    for n in (1, 3, 7, 200, 150):
        scores = [rng.choice([0.0, 1.0, 0.5, 1 / 3, 2 / 3, 0.8, 0.125, rng.random()])
                  for _ in range(n)]
        total = 0.0
        for s in scores:
            total += s
        datasets.append({"scores": scores, "value": round(100 * total / len(scores), 2)})
    datasets.append({"scores": [0.06625] * 1, "value": round(100 * 0.06625 / 1, 2)})
    return rounding, datasets


def section_zh_structure():
    def char_cut(text, cut_all=False):
        return iter(list(text))

    original = jieba.cut
    jieba.cut = char_cut
    try:
        samples = [("北京大学的学生。", "北京大学"), ("答案：《红楼梦》", "红楼梦"),
                   ("ＡＢＣ，ｄｅｆ！", "abc def"), ("", "北京"), ("。。。", "。"),
                   ("全部标点！？｡。＂＃＄％＆＇（）＊＋，－／：；＜＝＞＠［＼］＾＿｀｛｜｝～｟｠｢｣､、〃》「」『』【】〔〕〖〗〘〙〚〛〜〝〞〟〰〾〿–—‘’‛“”„‟…‧﹏.《",
                    "全部标点"), ("The Cat 猫", "the cat 猫"), ("重复重复重复", "重复")]
        cases = []
        for pred, gt in samples:
            cases.append({"pred": pred, "gt": gt, "qa_f1_zh": qa_f1_zh_score(pred, gt)})
        normalize = [{"s": s, "value": normalize_zh_answer(s)} for s, _ in samples]
    finally:
        jieba.cut = original
    return cases, normalize


# ---------------------------------------------------------------------------------------------
# Real jieba 0.42.1 (jieba.cut(text, cut_all=False), the default HMM=True): token lists for the C++
# port (metrics/jieba.h) and qa_f1_zh_score / rouge_zh_score over them.

JIEBA_NEWS = [
    "国家统计局10月16日发布数据显示，前三季度国内生产总值同比增长5.2%。",
    "2024年1月1日起，新修订的《中华人民共和国公司法》正式施行。",
    "据新华社报道，中国人民银行宣布下调金融机构存款准备金率0.5个百分点。",
    "上海证券交易所的科创板股票今日收盘上涨1.27%，成交额达到856亿元。",
    "北京时间昨晚，中国女排以3比1战胜巴西队，提前锁定小组第一。",
    "受台风“杜苏芮”影响，福建、浙江等地出现强降雨，部分航班取消。",
    "华为公司发布了新款Mate 60 Pro手机，搭载自研的麒麟9000S芯片。",
    "特斯拉CEO埃隆·马斯克周三抵达北京，开始为期两天的访问。",
    "世界卫生组织（WHO）表示，全球新冠肺炎确诊病例已超过7.6亿例。",
    "教育部印发通知，要求各地中小学减轻学生课业负担，保证每天1小时体育活动。",
    "张家口市2022年冬奥会场馆赛后利用方案已经获得批准。",
    "今年春运期间，全国铁路累计发送旅客4.8亿人次，同比增长37.9%。",
    "研究人员在《自然》杂志上发表论文，称发现了一种新的抗生素。",
    "深圳市南山区科技园内，一家人工智能初创企业完成了B轮融资。",
    "阿里巴巴集团宣布将分拆为六大业务集团，各自独立融资和上市。",
    "中国空间站“天宫”迎来第三批航天员，神舟十六号飞船发射圆满成功。",
    "工信部数据显示，截至6月底，我国5G基站总数达293.7万个。",
    "联合国秘书长古特雷斯呼吁各方保持克制，尽快恢复和平谈判。",
    "小李昨天在淘宝上买了一台MacBook Air，花了7999元。",
    "中国队在东京奥运会上获得38枚金牌、32枚银牌和18枚铜牌。",
    "李雷和韩梅梅是初中同学，他们经常一起去图书馆看书。",
    "据路透社消息，美国联邦储备委员会宣布加息25个基点。",
    "苹果公司股价周五收于189.98美元，市值约为2.95万亿美元。",
    "本次会议由张伟主持，李娜、王芳、刘洋等十余位专家出席。",
    "杭州亚运会将于2023年9月23日至10月8日举行，共设40个大项。",
    "记者从市交通委获悉，地铁19号线预计年底开通运营。",
    "这款产品的价格是¥1,299，比去年下降了约15%。",
    "用户可以通过微信、支付宝或银联云闪付完成付款。",
    "他说：“我们一定要把这件事情做好！”",
    "《红楼梦》是中国古典四大名著之一，作者是曹雪芹。",
    "请问明天北京的天气怎么样？会下雨吗？",
    "据统计，该市常住人口为1,234.56万人，其中65岁及以上人口占14.2%。",
    "第十四届全国人民代表大会第一次会议于3月5日在北京开幕。",
    "美团、京东、拼多多等电商平台纷纷推出“双十一”促销活动。",
    "OpenAI发布了GPT-4模型，ChatGPT的用户数突破1亿。",
    "这部电影的票房突破了50亿元大关，成为年度冠军。",
    "乌克兰总统泽连斯基会见了来访的德国总理朔尔茨。",
    "马云、马化腾、李彦宏曾被称为中国互联网的三巨头。",
    "昨天下午，闫晓岚在朝阳区遇见了老同学褚慕白。",
    "阚泽霖和訾文博合作撰写了这篇关于气候变化的论文。",
    "他叫艾克里斯·范德沃特，来自荷兰阿姆斯特丹。",
    "第3季度营收同比增长12.5%，净利润为-3.2亿元。",
    "1949年10月1日，中华人民共和国中央人民政府成立。",
    "公元前221年，秦始皇统一六国，建立了中国历史上第一个大一统王朝。",
    "长江是中国第一长河，全长约6300公里，流经11个省级行政区。",
    "近日，多地发布高温红色预警，最高气温超过40℃。",
    "该公司计划在未来三年内投资200亿元建设新能源汽车工厂。",
    "专家指出，青少年近视率居高不下，与长时间使用电子产品有关。",
    "比赛第89分钟，武磊接队友传球后破门，帮助球队1:0取胜。",
    "这项研究由北京大学、复旦大学和浙江大学的科研团队共同完成。",
    "警方提醒市民，不要轻信陌生电话，谨防电信网络诈骗。",
    "国务院常务会议部署进一步优化营商环境、降低制度性交易成本。",
    "某网红餐厅因食品安全问题被市场监管部门罚款5万元。",
    "截至发稿时，比特币价格报26,543美元，24小时内下跌2.3%。",
    "孙悟空、猪八戒和沙和尚保护唐僧去西天取经。",
]

JIEBA_CLASSICS = [
    "我来到北京清华大学", "他来到了网易杭研大厦", "小明硕士毕业于中国科学院计算所，后在日本京都大学深造",
    "工信处女干事每月经过下属科室都要亲口交代24口交换机等技术性器件的安装工作",
    "结婚的和尚未结婚的", "南京市长江大桥", "乒乓球拍卖完了", "研究生命的起源",
    "这个门把手坏了，请把手拿开", "欧阳娜娜、司马光、诸葛亮和上官婉儿都是复姓人物。",
    "记者王晓东、实习生刘思彤报道", "王小明和李华强在上海见面", "特朗普与泽连斯基通话",
    "张三丰、令狐冲、韦小宝是金庸小说中的人物", "永和服装饰品有限公司", "我爱北京天安门",
    "吴国忠臣伍子胥", "人要是行，干一行行一行，一行行行行行", "下雨天留客天留我不留",
]

JIEBA_TRADITIONAL = [
    "臺灣的經濟發展在過去十年中經歷了許多變化。", "香港特別行政區政府今日公佈了新一年度的財政預算案。",
    "澳門回歸祖國已經二十多年了。", "我們應該尊重每一個人的選擇。", "東京奧運會於2021年7月23日開幕。",
    "資訊科技產業對於國家競爭力非常重要。",
]

JIEBA_EDGE = [
    "", " ", "\n", "\r\n", "\r", "\t", "第一行\r\n第二行\n第三行\r第四行", "  前后有空格  ",
    "中文\t制表符\t分隔", "全角空格\u3000分隔", "不间断空格\u00a0分隔", "中文\r\r\n\n\r",
    "中\x1c文\x1d字\x85符", "中\u2028文\u2029", "中\u200b文", "\ufeff中文", "中\x00文",
    "😀", "今天天气真好😀😀，出去玩吧🎉", "👍👍👍点赞", "ＡＢＣ１２３全角字母数字", "２０２３年１２月３１日",
    "AT&T和T-Mobile是美国的运营商", "C++、C#、F#和Node.js都是编程相关的名词", "__init__.py文件",
    "50%以上的受访者表示满意", "3.14.15.92", "v1.2.3版本已发布", "1.5万元", "100%", "a-b-c", "---",
    "。。。！！！", "…………", "——破折号——", "《》〈〉「」『』【】", "鿖鿗鿘超出范围的汉字", "㐀㐁扩展A区",
    "𠀀𠀁扩展B区字符", "日本語のテキストと中文混合", "한국어와 중국어", "Привет мир 你好世界",
    "café naïve 咖啡", "٣٤٥ 阿拉伯数字", "⑴⑵⑶①②③", "Ⅻ章", "x²+y²=z²", "E=mc²是爱因斯坦的质能方程",
    "hello world", "Hello, World! 你好，世界！", "AI、IoT、VR/AR等新技术", "COVID-19疫情", "iPhone15在中国",
    "一二三四五六七八九十", "二〇二三年", "百分之五十", "零点五", "三千五百万", "十月一日是国庆节",
    "12:30开会，13:45结束", "2023-10-01", "2023/10/01", "温度从-10℃升到+5℃", "1e10", "0.001%",
    "3.5%的增长率", "1,000,000", "$100", "#话题标签#", "@用户名 你好", "&&&", "%%%", "....", "a.b",
    "_下划线_", "+86 138 0000 0000", "的的的的的的的的的的", "哈哈哈哈哈哈哈哈", "啊", "中", "a", "1",
    "abcdefghijklmnopqrstuvwxyz", "ABCDEFG中文HIJKLMN", "他的邮箱是zhang.san@example.com，电话是010-12345678。",
    "Python 3.11比3.10快10%~60%，详见https://docs.python.org。", "温度计显示-5.5℃，体感温度更低。",
    "3.5.6%和7.8%%", "ab12.34%cd", "12.٣4", "12.ab", "中国abc123.45%def测试", "测试.5", "测试5.",
]


def jieba_generated_inputs():
    """Seeded random texts: dictionary-word runs (the DAG) and rare-character runs (the HMM)."""
    rng = random.Random(13)
    words = sorted(w for w, f in jieba.dt.FREQ.items() if f > 0)
    chars = sorted(finalseg.emit_P["S"])
    fillers = ["，", "。", " ", "2023", "年", "%", "ABC", "3.5", "\n", "、", "-", "x"]
    texts = []
    for _ in range(40):
        texts.append("".join(rng.choice(words) for _ in range(rng.randint(2, 10))))
    for _ in range(30):
        texts.append("".join(rng.choice(chars) for _ in range(rng.randint(2, 14))))
    for _ in range(20):
        parts = [rng.choice(words) if rng.random() < 0.4 else
                 rng.choice(chars) if rng.random() < 0.6 else rng.choice(fillers)
                 for _ in range(rng.randint(3, 16))]
        texts.append("".join(parts))
    texts.append("".join(JIEBA_NEWS[:12]))  # one long paragraph
    texts.append("\n".join(JIEBA_CLASSICS))
    return texts


def jieba_metric_pairs():
    """(prediction, answer) pairs: perturbations of the news sentences plus edge cases."""
    def perturb(kind, gt, other):
        if kind == 0:
            return gt
        if kind == 1:
            return "答案是：" + gt
        if kind == 2:
            return gt[: len(gt) // 2]
        if kind == 3:
            return "，".join(reversed(gt.rstrip("。").split("，"))) + "。"
        if kind == 4:
            return "".join("的" if i % 5 == 4 else c for i, c in enumerate(gt))
        if kind == 5:
            return other
        if kind == 6:
            return gt + other
        if kind == 7:
            return " ".join(gt[i:i + 3] for i in range(0, len(gt), 3))
        return gt.upper().replace("，", ",").replace("。", ".")

    pairs = []
    for i, gt in enumerate(JIEBA_NEWS):
        other = JIEBA_NEWS[(i + 7) % len(JIEBA_NEWS)]
        for kind in sorted({i % 9, (i + 4) % 9}):
            pairs.append((perturb(kind, gt, other), gt))
    pairs += [("", "北京"), ("北京", ""), ("", ""), ("。。。", "。"), ("北京", "北京"),
              ("北京大学", "北京"), ("Apple公司", "apple公司"), ("😀😀", "😀"), ("王小明", "王晓明"),
              ("臺灣經濟", "台湾经济"), ("答案：1949年10月1日", "1949年10月1日"),
              ("约6300公里", "6300公里"), ("\n\n", "\n"), ("12.5%", "12.5")]
    return pairs


def section_jieba():
    jieba.setLogLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:  # build FREQ from dict.txt, not a stale cache
        jieba.dt.tmp_dir = tmp
        jieba.dt.initialize()
    package = os.path.dirname(jieba.__file__)
    digests = {}
    for name in ["dict.txt", "finalseg/prob_start.py", "finalseg/prob_trans.py",
                 "finalseg/prob_emit.py"]:
        with open(os.path.join(package, name), "rb") as f:
            digests[name] = hashlib.sha256(f.read()).hexdigest()
    inputs = JIEBA_NEWS + JIEBA_CLASSICS + JIEBA_TRADITIONAL + JIEBA_EDGE + jieba_generated_inputs()
    cut = [{"s": s, "tokens": list(jieba.cut(s, cut_all=False))} for s in inputs]
    qa = [{"pred": p, "gt": g, "value": qa_f1_zh_score(p, g)} for p, g in jieba_metric_pairs()]
    meta = {"freq_entries": len(jieba.dt.FREQ), "total": jieba.dt.total,
            "emit_entries": {s: len(finalseg.emit_P[s]) for s in "BMES"}, "sha256": digests}
    return {"meta": meta, "cut": cut, "qa_f1_zh": qa}


def build(args):
    qasper_rows, pairs = qasper_pairs(args.data_dir)
    qa_cases, qa_examples, normalize = section_qa_f1(qasper_rows, pairs)
    rouge1, rouge_tokenize = section_rouge1(qasper_rows)
    heat, runner = section_needle()
    retrieval, retrieval_zh, count = section_numbers()
    code_sim, fuzz_ratio = section_code_sim()
    babilong, babilong_splits = section_babilong(args.data_dir)
    rounding, datasets = section_aggregate()
    zh_cases, zh_normalize = section_zh_structure()
    jieba_section = section_jieba()
    return {
        "meta": {
            "python": sys.version.split()[0],
            "unicode": unicodedata.unidata_version,
            "packages": {"rouge": "1.0.1", "rouge_score": "0.1.2", "nltk": nltk.__version__,
                         "fuzzywuzzy": fuzzywuzzy.__version__,
                         "Levenshtein": Levenshtein.__version__, "jieba": jieba.__version__},
        },
        "unicode": section_unicode(),
        "normalize_answer": normalize,
        "qa_f1": qa_cases,
        "qa_f1_example": qa_examples,
        "rouge1": rouge1,
        "rouge_score_tokenize": rouge_tokenize,
        "porter": section_porter(qasper_rows),
        "needle_heatmap": heat,
        "needle_runner": runner,
        "classification": section_classification(),
        "retrieval": retrieval,
        "retrieval_zh": retrieval_zh,
        "count": count,
        "code_sim": code_sim,
        "fuzz_ratio": fuzz_ratio,
        "babilong": babilong,
        "babilong_split": babilong_splits,
        "python_round": rounding,
        "dataset_score": datasets,
        "zh_structure": {"qa_f1_zh": zh_cases, "normalize_zh_answer": zh_normalize},
        "jieba": jieba_section,
    }


def parse_args():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", default=DATA_DIR)
    parser.add_argument("--out", default="tests/golden/metrics.json")
    return parser.parse_args()


# Everything that reaches pltrdy rouge runs from module level below, so the stack above
# rouge_score is <module> -> scorer, exactly as in LongBench's eval.py.
if __name__ == "__main__":
    ARGS = parse_args()
    GOLDEN = build(ARGS)

    MAX_STEPS = 0
    for K in range(980, 1000):  # a diagonal read-out of K words takes K steps
        WORDS = " ".join(f"w{i}" for i in range(K))
        if scorer(rouge_score, WORDS, [WORDS]) == 0.0:
            break
        MAX_STEPS = K
    GOLDEN["meta"]["pltrdy_max_readout_steps"] = MAX_STEPS

    ROUGE_CASES = []
    for PRED, GT in rouge_inputs(ARGS.data_dir) + rouge_recursion_inputs():
        ROUGE_CASES.append({"pred": PRED, "gt": GT, "value": scorer(rouge_score, PRED, [GT])})
    GOLDEN["rouge_l"] = ROUGE_CASES

    # rouge_zh_score over the real jieba, from module level like rouge_l. The last pair is one
    # pltrdy "sentence" (no ".") of well over 990 words: RecursionError, so 0.0.
    JIEBA_ROUGE = []
    LONG = "".join(JIEBA_NEWS).replace(".", "") * 2
    for PRED, GT in jieba_metric_pairs() + [(LONG, LONG)]:
        JIEBA_ROUGE.append({"pred": PRED, "gt": GT, "value": scorer(rouge_zh_score, PRED, [GT])})
    GOLDEN["jieba"]["rouge_zh"] = JIEBA_ROUGE

    # rouge_zh_score over the per-code-point segmenter: one frame deeper than rouge_score.
    jieba.cut = lambda text, cut_all=False: iter(list(text))
    ZH_ROUGE = []
    for PRED, GT in [("北京大学的学生。很好", "北京大学"), ("答案：红楼梦", "红楼梦"), ("", "北京"),
                     ("猫" * 989, "猫" * 989), ("猫" * 990, "猫" * 990), ("狗猫" * 300, "猫狗" * 300),
                     ("The Cat. 猫", "the cat 猫")]:
        ZH_ROUGE.append({"pred": PRED, "gt": GT, "value": scorer(rouge_zh_score, PRED, [GT])})
    GOLDEN["zh_structure"]["rouge_zh"] = ZH_ROUGE

    with open(ARGS.out, "w", encoding="utf-8") as F:
        json.dump(GOLDEN, F, ensure_ascii=False, indent=0)
        F.write("\n")
    SIZES = {k: len(v) for k, v in GOLDEN.items() if isinstance(v, list)}
    print(f"wrote {ARGS.out}: max read-out steps {MAX_STEPS}; {SIZES}")
