#!/usr/bin/env python3
"""Writes the prompt goldens that benchmarks/longbench.cc, benchmarks/babilong.cc and benchmarks/needle.cc must match.

This is an independent Python implementation of ALGORITHMS.md §6.1-§6.2 (LongBench prompts and
middle truncation), §7.1-§7.2 (needle-in-a-haystack) and §8 (BABILong prompts). It writes
tests/golden/prompts/{longbench,babilong,needle}.json. Long strings and id lists are stored as
digests: text {bytes (UTF-8), fnv1a64 (of the UTF-8 bytes), head/tail (first/last 200 code
points)}, ids {count, fnv1a64 (of each id as 4 little-endian int32 bytes), first/last 32}.

Every case is produced with two tokenizers, in two sections:
  "reference": the Llama-3 tokenizer.json in data/, with the semantics the reference ran
     under (transformers 4.37, Meta-Llama-3-8B-Instruct):
       - encode(text, add_special_tokens=True) prepends BOS 128000. The shipped first-release
         tokenizer.json adds no BOS itself (PROVENANCE.md), the reference model's does (§6.2);
       - decode applies transformers' clean_up_tokenization, because tokenizer_config.json says
         clean_up_tokenization_spaces=true and 4.37 honoured it (transformers 5 ignores it for
         BPE, so it is applied here by hand);
     BABILong's chat text comes from transformers' apply_chat_template with the template in
     tokenizers/llama3/tokenizer_config.json.
  "fake": the character tokenizer defined below (CharTokenizer), which the C++ tests implement
     identically, so the token-level steps (truncation, needle insertion) can be checked in the
     jobs test binary, which cannot link the real tokenizer (layering).

Usage:
  python3 tools/reference/make_prompt_goldens.py --data-dir data --out tests/golden/prompts

Output is deterministic: fixed case order, sorted file lists, no timestamps or absolute paths.
Data files are read plain or as NAME.gz (data_files.py).
"""

import argparse
import json
import os
import sys

from tokenizers import Tokenizer

from data_files import DATA_DIR, data_dir_path, data_path, glob_data, open_data

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
DIGEST_CHARS = 200
DIGEST_IDS = 32

# ---------------------------------------------------------------------------------------------
# Digests


def fnv1a64(data):
    h = FNV_OFFSET
    for b in data:
        h ^= b
        h = (h * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def text_digest(text):
    raw = text.encode("utf-8")
    return {"bytes": len(raw), "fnv1a64": fnv1a64(raw), "head": text[:DIGEST_CHARS],
            "tail": text[-DIGEST_CHARS:] if text else ""}


def ids_digest(ids):
    raw = b"".join(int(i).to_bytes(4, "little", signed=True) for i in ids)
    return {"count": len(ids), "fnv1a64": fnv1a64(raw), "first": list(ids[:DIGEST_IDS]),
            "last": list(ids[-DIGEST_IDS:]) if ids else []}


# ---------------------------------------------------------------------------------------------
# Tokenizers


def clean_up_tokenization(text):
    """transformers' PreTrainedTokenizerBase.clean_up_tokenization (4.37)."""
    return (text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",")
            .replace(" ' ", "'").replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s")
            .replace(" 've", "'ve").replace(" 're", "'re"))


class ReferenceTokenizer:
    """HF `tokenizers` with the reference's transformers-4.37 encode/decode semantics."""

    def __init__(self, tokenizer_dir, bos_id, eos_id):
        self.tok = Tokenizer.from_file(data_path(os.path.join(tokenizer_dir, "tokenizer.json")))
        with open_data(os.path.join(tokenizer_dir, "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)
        self.clean_up = bool(config.get("clean_up_tokenization_spaces", False))
        self.bos_id = bos_id
        self.eos_id = eos_id
        # True when the file's post-processor adds no BOS itself (the Llama-3 first release).
        self.prepend_bos = self.tok.encode("x", add_special_tokens=True).ids[:1] != [bos_id]

    def encode(self, text, add_special_tokens):
        ids = self.tok.encode(text, add_special_tokens=add_special_tokens).ids
        if add_special_tokens and self.prepend_bos:
            ids = [self.bos_id] + ids
        return ids

    def decode(self, ids, skip_special_tokens):
        text = self.tok.decode(list(ids), skip_special_tokens=skip_special_tokens)
        return clean_up_tokenization(text) if self.clean_up else text


class CharTokenizer:
    """The fake of the C++ tests: one token per code point (id = 256 + code point), and the two
    special tokens <|begin_of_text|> (1, BOS) and <|end_of_text|> (2, EOS), which are also
    recognised as text inside the input (as HF does for special tokens)."""

    SPECIALS = {"<|begin_of_text|>": 1, "<|end_of_text|>": 2}
    bos_id = 1
    eos_id = 2

    def encode(self, text, add_special_tokens):
        ids = [self.bos_id] if add_special_tokens else []
        i = 0
        while i < len(text):
            for special, sid in self.SPECIALS.items():
                if text.startswith(special, i):
                    ids.append(sid)
                    i += len(special)
                    break
            else:
                ids.append(256 + ord(text[i]))
                i += 1
        return ids

    def decode(self, ids, skip_special_tokens):
        names = {v: k for k, v in self.SPECIALS.items()}
        out = []
        for i in ids:
            if i in names:
                if not skip_special_tokens:
                    out.append(names[i])
            else:
                out.append(chr(i - 256))
        return "".join(out)


def derived_period_ids(tok):
    """The needle's period tokens for a tokenizer without a hard-coded list: the last id of
    encode(".") and of encode("a.") (no special tokens), deduplicated in that order. Gives [13]
    for Llama-3 and [842, 28723] for Mistral, the reference's lists."""
    out = []
    for text in (".", "a."):
        last = tok.encode(text, add_special_tokens=False)[-1]
        if last not in out:
            out.append(last)
    return out


# ---------------------------------------------------------------------------------------------
# LongBench (§6.1-§6.2)


def middle_truncate(tok, ids, max_tokens, skip_special_tokens, add_special_tokens):
    half = int(max_tokens / 2)
    prompt = (tok.decode(ids[:half], skip_special_tokens) +
              tok.decode(ids[-half:], skip_special_tokens))
    return prompt, tok.encode(prompt, add_special_tokens)


def longbench_prompt(tok, template, example, max_tokens):
    prompt = template.format(**example)
    ids = tok.encode(prompt, True)
    truncated = len(ids) > max_tokens
    if truncated:
        prompt, ids = middle_truncate(tok, ids, max_tokens, True, True)
    return prompt, ids, truncated


def longbench_cases(data_dir, tok, max_tokens_list):
    with open_data(os.path.join(data_dir, "longbench/config/dataset2prompt.json"),
                   encoding="utf-8") as f:
        prompts = json.load(f)
    with open_data(os.path.join(data_dir, "longbench/config/dataset2maxlen.json"),
                   encoding="utf-8") as f:
        maxlens = json.load(f)
    cases = []
    for dataset in ("multi_news", "qasper"):
        path = os.path.join(data_dir, f"longbench/{dataset}.jsonl")
        with open_data(path, encoding="utf-8") as f:
            examples = [json.loads(line) for _, line in zip(range(5), f)]
        for max_tokens in max_tokens_list:
            for index, example in enumerate(examples):
                prompt, ids, truncated = longbench_prompt(tok, prompts[dataset], example, max_tokens)
                cases.append({"dataset": dataset, "index": index, "_id": example["_id"],
                              "max_input_tokens": max_tokens, "truncated": truncated,
                              "max_new_tokens": maxlens[dataset], "prompt": text_digest(prompt),
                              "ids": ids_digest(ids)})
    return cases


# ---------------------------------------------------------------------------------------------
# BABILong (§8)

BABILONG_TEMPLATE = ("{instruction}\n\n{examples}\n\n{post_prompt}\n\n<context>\n{context}\n"
                     "</context>\n\nQuestion: {question}")

BABILONG_PROMPTS = {
    "qa1": {
        "instruction": "I will give you context with the facts about positions of different persons hidden in some random text and a question. You need to answer the question based only on the information from the facts. If a person was in different locations, use the latest location to answer the question.",
        "examples": "<example>\nCharlie went to the hallway. Judith come back to the kitchen. Charlie travelled to balcony. Where is Charlie?\nAnswer: The most recent location of Charlie is balcony.\n</example>\n\n<example>\nAlan moved to the garage. Charlie went to the beach. Alan went to the shop. Rouse travelled to balcony. Where is Alan?\nAnswer: The most recent location of Alan is shop.\n</example>",
        "post_prompt": "Always return your answer in the following format: The most recent location of \u2019person\u2019 is \u2019location\u2019. Do not write anything else after that.",
    },
    "qa2": {
        "instruction": "I give you context with the facts about locations and actions of different persons hidden in some random text and a question.You need to answer the question based only on the information from the facts.\nIf a person got an item in the first location and travelled to the second location the item is also in the second location. If a person dropped an item in the first location and moved to the second location the item remains in the first location.",
        "examples": "<example>\nCharlie went to the kitchen. Charlie got a bottle. Charlie moved to the balcony. Where is the bottle?\nAnswer: The bottle is in the balcony.\n</example>\n<example>\nAlan moved to the garage. Alan got a screw driver. Alan moved to the kitchen. Where is the screw driver?\nAnswer: The screw driver is in the kitchen.\n</example>",
        "post_prompt": "Always return your answer in the following format: The \u2019item\u2019 is in \u2019location\u2019. Do not write anything else after that.",
    },
    "qa3": {
        "instruction": "I give you context with the facts about locations and actions of different persons hidden in some random text and a question. You need to answer the question based only on the information from the facts.\nIf a person got an item in the first location and travelled to the second location the item is also in the second location. If a person dropped an item in the first location and moved to the second location the item remains in the first location.",
        "examples": "<example>\nJohn journeyed to the bedroom. Mary grabbed the apple. Mary went back to the bathroom. Daniel journeyed to the bedroom. Daniel moved to the garden. Mary travelled to the kitchen. Where was the apple before the kitchen?\nAnswer: Before the kitchen the apple was in the bathroom.\n</example>\n<example>\nJohn went back to the bedroom. John went back to the garden. John went back to the kitchen. Sandra took the football. Sandra travelled to the garden. Sandra journeyed to the bedroom. Where was the football before the bedroom?\nAnswer: Before the bedroom the football was in the garden.\n</example>",
        "post_prompt": "Always return your answer in the following format: Before the $location_1$ the $item$ was in the $location_2$. Do not write anything else after that.",
    },
    "qa4": {
        "instruction": "I will give you context with the facts about different people, their location and actions, hidden in some random text and a question. You need to answer the question based only on the information from the facts.",
        "examples": "<example>\nThe hallway is south of the kitchen. The bedroom is north of the kitchen. What is the kitchen south of?\nAnswer: bedroom\n</example>\n<example>\nThe garden is west of the bedroom. The bedroom is west of the kitchen. What is west of the bedroom?\nAnswer: garden\n</example>",
        "post_prompt": "Your answer should contain only one word - location. Do not write anything else after that.",
    },
    "qa5": {
        "instruction": "I will give you context with the facts about locations and their relations hidden in some random text and a question. You need to answer the question based only on the information from the facts.",
        "examples": "<example>\nMary picked up the apple there. Mary gave the apple to Fred. Mary moved to the bedroom. Bill took the milk there. Who did Mary give the apple to?\nAnswer: Fred\n</example>\n<example>\nJeff took the football there. Jeff passed the football to Fred. Jeff got the milk there. Bill travelled to the bedroom. Who gave the football?\nAnswer: Jeff\n</example>\n<example>\nFred picked up the apple there. Fred handed the apple to Bill. Bill journeyed to the bedroom. Jeff went back to the garden. What did Fred give to Bill?\nAnswer: apple\n</example>",
        "post_prompt": "Your answer should contain only one word. Do not write anything else after that. Do not explain your answer.",
    },
}


def babilong_text(task, record):
    p = BABILONG_PROMPTS[task]
    return BABILONG_TEMPLATE.format(instruction=p["instruction"], examples=p["examples"],
                                    post_prompt=p["post_prompt"], context=record["input"].strip(),
                                    question=record["question"]).strip()


def babilong_prompt(tok, render, task, record, max_tokens):
    prompt = render(babilong_text(task, record))
    ids = tok.encode(prompt, False)
    truncated = len(ids) > max_tokens
    if truncated:
        prompt, ids = middle_truncate(tok, ids, max_tokens, False, False)
    return prompt, ids, truncated


def babilong_cases(data_dir, tok, render, settings):
    cases = []
    for split, max_tokens in settings:
        for task in ("qa1", "qa2", "qa3", "qa4", "qa5"):
            path = os.path.join(data_dir, f"babilong/{split}/{task}.jsonl")
            with open_data(path, encoding="utf-8") as f:
                records = [json.loads(line) for _, line in zip(range(2), f)]
            for index, record in enumerate(records):
                prompt, ids, truncated = babilong_prompt(tok, render, task, record, max_tokens)
                cases.append({"task": task, "split": split, "index": index,
                              "max_input_tokens": max_tokens, "truncated": truncated,
                              "text": text_digest(babilong_text(task, record)),
                              "prompt": text_digest(prompt), "ids": ids_digest(ids)})
    return cases


# ---------------------------------------------------------------------------------------------
# Needle (§7)

NEEDLE = "\nThe best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day.\n"
QUESTION = "The best thing to do in San Francisco is: "
BUFFER_TOKENS = 200


def read_haystack(haystack_dir, tok, min_tokens):
    """§7.1 with our documented deviation: files in sorted name order. Whole passes are appended
    until the haystack (encoded with BOS) has at least min_tokens tokens."""
    files = sorted(glob_data(os.path.join(haystack_dir, "*.txt")))
    context = ""
    while len(tok.encode(context, True)) < min_tokens:
        for path in files:
            with open_data(path, "r", encoding="utf-8") as f:
                context += f.read()
    return context


def needle_prompt(tok, haystack, haystack_ids, context_length, depth, period_ids, stray_bos):
    special = stray_bos  # the reference encodes every step with BOS; the fixed mode never does
    ctx = haystack
    if len(haystack_ids) > context_length:
        ctx = tok.decode(haystack_ids[:context_length], False)
    tn = tok.encode(NEEDLE, special)
    tc = tok.encode(ctx, special)
    budget = context_length - BUFFER_TOKENS
    if len(tc) + len(tn) > budget:
        tc = tc[:budget - len(tn)]
    if depth == 100:
        new = tc + tn
    else:
        p = int(len(tc) * (depth / 100))
        while p > 0 and tc[p - 1] not in period_ids:
            p -= 1
        new = tc[:p] + tn + tc[p:]
    context = tok.decode(new, False)
    prompt = ("<|im_start|> This is a very long story book: <book> " + context +
              " </book>.\n Based on the content of the book, Question: " + QUESTION + "\nAnswer:")
    return prompt, tok.encode(prompt, True)


def needle_cases(haystack_dir, tok, period_ids, lengths, depths):
    haystack = read_haystack(haystack_dir, tok, max(lengths))
    cases = []
    for mode in ("reference", "no_stray_bos"):
        stray = mode == "reference"
        haystack_ids = tok.encode(haystack, stray)
        for length in lengths:
            for depth in depths:
                prompt, ids = needle_prompt(tok, haystack, haystack_ids, length, depth, period_ids,
                                            stray)
                cases.append({"mode": mode, "context_length": length, "depth_percent": depth,
                              "prompt": text_digest(prompt), "ids": ids_digest(ids)})
    return haystack, cases


def numpy_grids():
    import numpy as np
    return {
        "depths": [{"min": 0, "max": 100, "intervals": n,
                    "values": [int(v) for v in np.round(np.linspace(0, 100, n)).astype(int)]}
                   for n in (1, 2, 3, 5, 9, 10, 11, 17, 21, 35)],
        "lengths": [{"min": a, "max": b, "interval": s,
                     "values": [int(v) for v in np.arange(a, b + 1, s)]}
                    for a, b, s in ((1000, 8001, 1000), (1000, 33000, 100), (5, 5, 3), (7, 3, 1))],
    }


# ---------------------------------------------------------------------------------------------


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=DATA_DIR)
    parser.add_argument("--out", default="tests/golden/prompts")
    args = parser.parse_args()
    data = args.data_dir
    os.makedirs(args.out, exist_ok=True)

    llama3_dir = os.path.join(data, "tokenizers/llama3")
    ref = ReferenceTokenizer(llama3_dir, bos_id=128000, eos_id=128001)
    fake = CharTokenizer()
    mistral = ReferenceTokenizer(os.path.join(data, "tokenizers/mistral"), bos_id=1, eos_id=2)
    assert derived_period_ids(ref) == [13], derived_period_ids(ref)
    assert derived_period_ids(mistral) == [842, 28723], derived_period_ids(mistral)

    from transformers import AutoTokenizer
    hf = AutoTokenizer.from_pretrained(data_dir_path(llama3_dir))

    def render_llama3(text):
        return hf.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                      add_generation_prompt=True)

    semantics = ("reference: tokenizers/llama3/tokenizer.json; encode(add_special_tokens=True) "
                 "prepends BOS 128000; decode applies clean_up_tokenization "
                 "(tokenizer_config clean_up_tokenization_spaces=true, honoured by transformers "
                 "4.37). fake: CharTokenizer (id = 256 + code point; <|begin_of_text|> = 1 BOS, "
                 "<|end_of_text|> = 2 EOS, both matched inside text).")
    common = {"generator": "tools/reference/make_prompt_goldens.py", "semantics": semantics}

    write_json(os.path.join(args.out, "longbench.json"), {
        **common,
        "reference": longbench_cases(data, ref, (7950, 512)),
        "fake": longbench_cases(data, fake, (1000000, 7950, 512)),
    })

    babilong_settings = (("0k", 7950), ("2k", 7950), ("2k", 512))
    write_json(os.path.join(args.out, "babilong.json"), {
        **common,
        "chat": "llama3 (transformers apply_chat_template, tokenizers/llama3/tokenizer_config.json)",
        "reference": babilong_cases(data, ref, render_llama3, babilong_settings),
        "fake": babilong_cases(data, fake, render_llama3, babilong_settings),
    })

    haystack_dir = os.path.join(data, "pg_essays")
    lengths, depths = (1000, 2000), (0, 50, 100)
    haystack, ref_cases = needle_cases(haystack_dir, ref, [13], lengths, depths)
    _, fake_cases = needle_cases(haystack_dir, fake, derived_period_ids(fake), lengths, depths)
    write_json(os.path.join(args.out, "needle.json"), {
        **common,
        "haystack": {"dir": "pg_essays", "text": text_digest(haystack)},
        "derived_period_ids": {"llama3": derived_period_ids(ref),
                               "mistral": derived_period_ids(mistral),
                               "fake": derived_period_ids(fake)},
        "newline_ids": {"llama3": ref.encode("\n", False)[-1],
                        "mistral": mistral.encode("\n", False)[-1],
                        "fake": fake.encode("\n", False)[-1]},
        "grids": numpy_grids(),
        "reference": ref_cases,
        "fake": fake_cases,
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
