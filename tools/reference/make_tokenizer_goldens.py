#!/usr/bin/env python3
"""Writes the tokenizer goldens that model/tokenizer*.cc must reproduce id for id.

For each tokenizer (Llama-3 and Mistral from tokenizer.json in the repository's data/; SmolLM2
rebuilt from the default GGUF's metadata) this encodes one fixed corpus and writes
tests/golden/tokenizer/<name>.json:

  lines[i] = {text, ids (add_special_tokens=False), special_prefix + ids + special_suffix (the ids
              of add_special_tokens=True), decode (decode(ids with specials)), decode_skip (the
              same with skip_special_tokens=True), decode_plain (decode(ids))}
  decode_cases[i] = {ids, decode, decode_skip}   (id lists cut mid-character: U+FFFD handling)

Decoded strings are null when they equal `text`, which keeps the files small.

The reference is the `tokenizers` library (Tokenizer.from_file), i.e. exactly what tokenizer.json
specifies. transformers 5 is cross-checked and its differences are recorded, not hidden:
  - it ignores clean_up_tokenization_spaces for BPE tokenizers (so decode == tokenizers decode);
  - its LlamaTokenizer (used for the Mistral file, tokenizer_class "LlamaTokenizer") replaces the
    file's Prepend/Replace normalizer with Metaspace(prepend_scheme="always", split=False), which
    does not add a second "▁" when the text already starts with a space, and does not prepend one
    to text following an added token. Those line indices go into "transformers_differs" (and
    decode cases into "transformers_decode_case_differs"; both are empty for Llama-3).
SmolLM2: the real HF tokenizer.json of SmolLM2 is Digits(individual_digits) + ByteLevel(GPT-2
regex), which is also llama.cpp's pre="smollm" ({"\\p{N}", GPT-2 regex}); that is the reference
here. transformers' GGUF converter has no "smollm" entry and uses the plain GPT-2 regex (no digit
isolation); lines where it differs are listed in "transformers_gguf_differs".

Usage:
  python3 tools/reference/make_tokenizer_goldens.py --data-dir data \
      --out tests/golden/tokenizer [--gguf ~/.cache/headkv/models/SmolLM2-135M-Instruct.Q4_1.gguf]

Output is deterministic: fixed corpus order, sorted file lists, no timestamps or absolute paths.
Data files are read plain or as NAME.gz (data_files.py).
"""

import argparse
import json
import os
import sys
import warnings

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

from data_files import DATA_DIR, data_dir_path, data_path, glob_data, open_data

DEFAULT_GGUF = "~/.cache/headkv/models/SmolLM2-135M-Instruct.Q4_1.gguf"
LONG_LINE_CHARS = 20000

# Hand-written cases: every class of input the C++ tokenizer has a code path for.
HAND_LINES = [
    # Known ids (PROVENANCE.md) and plain text.
    "Hello world, the end.",
    "[INST]",
    "The quick brown fox jumps over the lazy dog.",
    "",
    " ",
    "a",
    # Literal special / added tokens inside text.
    "<|begin_of_text|>hi<|eot_id|>",
    "<s>[INST] x [/INST]</s>",
    "<s>",
    "</s>",
    "<unk>",
    "hello <s> world",
    "x</s>y",
    "<|eot_id|><|eot_id|>",
    "<<|eot_id|>>",
    "<|eot_id",
    "text <|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>",
    "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
    "<|endoftext|>tail",
    "<|reserved_special_token_0|><|reserved_special_token_250|>",
    "<s> <s>  </s>   x",
    "[INST] What is 2+2? [/INST] 4</s>[INST] And 3+3? [/INST]",
    "<0x0A> literal byte token text",
    "▁leading meta space and Ġ byte-level char",
    # Apostrophes and contractions (the (?i:'s|'t|...) alternative).
    "I'm here, you're there, they've gone, we'll see, he'd know, it's done.",
    "DON'T SHOUT, I'M LISTENING. YOU'RE LOUD. IT'S FINE. WE'LL SEE. HE'D KNOW. THEY'VE LEFT.",
    "it’s curly ’s and ‘quoted’",
    "rock'n'roll O'Neil's 'tis ''",
    "She'LL 'S 'ſ 'K 'k",
    # clean_up_tokenization_spaces patterns (transformers 5 ignores the flag for BPE).
    "Hello , world . How are you ? I ' m fine ! Do n't do that , it 's bad ; I 've 're 'm 's .",
    # Digits.
    "12345678901234567890",
    "3.14159 1,000,000 -42 +7 1e10 0x1F",
    "year 2024, 99 bottles, 1 2  3   4",
    "a  1 b\t2 c\n3",
    "١٢٣٤٥ ٦٧ ½ ² ³ Ⅻ ⅷ ① 𝟙𝟚",
    # Whitespace.
    "   leading",
    "trailing   ",
    "\n\n\n",
    "\t\t x",
    "a\r\nb\rc\n",
    "  two  spaces  between  words  ",
    "x \n y \n\n z",
    "\u00a0nbsp\u00a0and\u3000ideographic\u3000space",
    "line\u2028sep\u2029para\u0085nel",
    "mongolian\u180evowel separator",
    "zero\u200bwidth\ufeffbom",
    "\x0b\x0c vertical tab form feed",
    "    indented\n        more\n\ttab",
    " \n \n",
    # Emoji.
    "😀 😃 😄",
    "👍🏽 👋🏿 thumbs",
    "👨‍👩‍👧‍👦 family ZWJ",
    "🏳️‍🌈 flag, 🇺🇸🇫🇷 regional indicators",
    "I ❤️ NY ☕",
    "🤖🧠💡",
    # CJK and other scripts.
    "你好，世界！这是一个测试。",
    "日本語のテキストとカタカナ ー",
    "한국어 텍스트입니다",
    "中文 mixed with English and 数字123",
    "𠀀𠀁 CJK extension B",
    "Россия — страна. Ελληνικά κείμενο.",
    "العربية نص مع أرقام ١٢٣",
    "עברית טקסט",
    "हिन्दी पाठ",
    "ไทย ภาษา",
    # Combining marks.
    "e\u0301 n\u0303 a\u0308 cafe\u0301",
    "\u1100\u1161\u11a8 Hangul jamo",
    "Zalgo t\u0336\u0321e\u0335x\u0337t",
    "Café naïve résumé façade Ångström",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝐁𝐨𝐥𝐝 Ǆ ǅ ǆ K Å",
    # Code.
    "def f(x):\n    return x * 2  # double\n",
    "for (int i = 0; i < n; ++i) {\n  sum += a[i];\n}",
    '{"key": [1, 2.5, null], "nested": {"a": "b"}}',
    "<div class=\"x\">&amp; &lt;tag&gt;</div>",
    "SELECT * FROM t WHERE a >= 10 AND b <> 'x';",
    "$ ls -la | grep foo && echo \"done\" >> log.txt",
    "x = y if z else w  # lambda: _private __dunder__",
    # Odd characters.
    "\x00\x01\x04 control \x1d\x7f",
    "\ufffd replacement char",
    "================================================",
    "----- ***** ..... !!!!! ????? ~~~~~",
    "a" * 120,
    "supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis",
    "http://example.com/path?q=1&r=two#frag user@example.org",
]


def read_rows(path, limit):
    rows = []
    with open_data(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
            if len(rows) >= limit:
                break
    return rows


def data_lines(data_dir):
    """Short slices of the project's real inputs: essays, LongBench, BABILong."""
    out = []
    essays = sorted(glob_data(os.path.join(data_dir, "pg_essays", "*.txt")))
    for path in essays[:12]:
        with open_data(path, encoding="utf-8") as f:
            text = f.read()
        out.append(text[:400])  # the opening, newlines kept
        out.append(text[len(text) // 2:len(text) // 2 + 300])
    for name in ("multi_news", "qasper"):
        for row in read_rows(os.path.join(data_dir, "longbench", name + ".jsonl"), 4):
            out.append(row["context"][:400])
            out.append(row["context"][1000:1300])
            out.append(row["input"][:300])
    for path in sorted(glob_data(os.path.join(data_dir, "babilong", "0k", "*.jsonl"))):
        for row in read_rows(path, 2):
            out.append(row["input"][:400])
            out.append(row["question"])
    for path in sorted(glob_data(os.path.join(data_dir, "babilong", "1k", "*.jsonl")))[:2]:
        row = read_rows(path, 1)[0]
        out.append(row["input"][:600])
    unique = []
    for text in out:
        if text and text not in unique:
            unique.append(text)
    return unique, essays


def long_line(essays):
    text = ""
    for path in essays:
        with open_data(path, encoding="utf-8") as f:
            text += f.read()
        if len(text) >= LONG_LINE_CHARS:
            break
    return text[:LONG_LINE_CHARS]


def corpus(data_dir):
    lines, essays = data_lines(data_dir)
    return HAND_LINES + lines + [long_line(essays)]


def decode_case_ids(tok):
    """Id lists whose bytes are not valid UTF-8 on their own (cut inside a character)."""
    cases = []
    for text in ("你好", "😀x", "👨‍👩‍👧", "é", "日本", "\U0001f9e0 a", "𠀀"):
        ids = tok.encode(text, add_special_tokens=False).ids
        for cut in range(1, len(ids)):
            cases.append(ids[:cut])
            cases.append(ids[cut:])
        cases.append(list(reversed(ids)))
    specials = [t.content for t in tok.get_added_tokens_decoder().values() if t.special][:2]
    for content in specials:
        sid = tok.token_to_id(content)
        base = tok.encode("😀 ok", add_special_tokens=False).ids
        cases.append([sid] + base[:1] + [sid] + base[1:])
    unique = []
    for ids in cases:
        if ids and ids not in unique:
            unique.append(ids)
    return unique


def split_added(ids, ids_special):
    """(prefix, suffix) with ids_special == prefix + ids + suffix; the post-processor only adds.
    For empty text everything added counts as prefix."""
    if not ids:
        return ids_special, []
    for start in range(len(ids_special) - len(ids) + 1):
        if ids_special[start:start + len(ids)] == ids:
            return ids_special[:start], ids_special[start + len(ids):]
    raise ValueError("add_special_tokens=True ids do not contain the plain ids: %r" % ids_special)


def encode_lines(tok, texts):
    lines = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False).ids
        ids_special = tok.encode(text, add_special_tokens=True).ids
        decoded = tok.decode(ids_special, skip_special_tokens=False)
        decoded_skip = tok.decode(ids_special, skip_special_tokens=True)
        decoded_plain = tok.decode(ids, skip_special_tokens=False)
        prefix, suffix = split_added(ids, ids_special)
        lines.append({
            "text": text,
            "ids": ids,
            "special_prefix": prefix,
            "special_suffix": suffix,
            "decode": None if decoded == text else decoded,
            "decode_skip": None if decoded_skip == text else decoded_skip,
            "decode_plain": None if decoded_plain == text else decoded_plain,
        })
    return lines


def transformers_differences(auto_tok, tok, texts, cases):
    """Indices of lines, then of decode cases, where transformers 5 disagrees with `tokenizers`."""
    differs = []
    for i, text in enumerate(texts):
        same = True
        for special in (False, True):
            ids = tok.encode(text, add_special_tokens=special).ids
            if auto_tok(text, add_special_tokens=special)["input_ids"] != ids:
                same = False
            for skip in (False, True):
                if auto_tok.decode(ids, skip_special_tokens=skip) != tok.decode(
                        ids, skip_special_tokens=skip):
                    same = False
        if not same:
            differs.append(i)
    case_differs = [
        i for i, ids in enumerate(cases) for skip in (False, True)
        if auto_tok.decode(ids, skip_special_tokens=skip) != tok.decode(ids,
                                                                         skip_special_tokens=skip)
    ]
    return differs, sorted(set(case_differs))


def write_golden(path, meta, lines, cases, tok):
    decode_cases = [{
        "ids": ids,
        "decode": tok.decode(ids, skip_special_tokens=False),
        "decode_skip": tok.decode(ids, skip_special_tokens=True),
    } for ids in cases]
    parts = ["{\n"]
    for key in sorted(meta):
        parts.append(" %s: %s,\n" % (json.dumps(key), json.dumps(meta[key], ensure_ascii=False)))
    parts.append(' "lines": [\n')
    parts.append(",\n".join("  " + json.dumps(x, ensure_ascii=False) for x in lines))
    parts.append('\n ],\n "decode_cases": [\n')
    parts.append(",\n".join("  " + json.dumps(x, ensure_ascii=False) for x in decode_cases))
    parts.append("\n ]\n}\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write("".join(parts))
    print("wrote %s (%d lines, %d decode cases, %d bytes)" %
          (path, len(lines), len(decode_cases), os.path.getsize(path)))


def hf_file_golden(data_dir, out_dir, name, texts):
    tok_dir = os.path.join(data_dir, "tokenizers", name)
    tok = Tokenizer.from_file(data_path(os.path.join(tok_dir, "tokenizer.json")))
    meta = {"source": "tokenizers/%s/tokenizer.json" % name}
    cases = decode_case_ids(tok)
    try:
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging
        hf_logging.set_verbosity_error()  # the BPE clean-up warning is expected, see above
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            auto_tok = AutoTokenizer.from_pretrained(data_dir_path(tok_dir))
            lines_differ, cases_differ = transformers_differences(auto_tok, tok, texts, cases)
        meta["transformers_differs"] = lines_differ
        meta["transformers_decode_case_differs"] = cases_differ
    except ImportError:
        meta["transformers_differs"] = None
    lines = encode_lines(tok, texts)
    write_golden(os.path.join(out_dir, name + ".json"), meta, lines, cases, tok)


GPT2_SPLIT = (r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+")


def gguf_tokenizer_dict(gguf_path):
    """llama.cpp's tokenizer.ggml.* metadata, under transformers' GGUF_TOKENIZER_MAPPING names."""
    import gguf
    reader = gguf.GGUFReader(gguf_path)

    def strings(key):
        field = reader.fields[key]
        return [bytes(field.parts[i]).decode("utf-8") for i in field.data]

    def scalar(key):
        field = reader.fields.get(key)
        return None if field is None else field.parts[field.data[0]].tolist()[0]

    types = reader.fields["tokenizer.ggml.token_type"]
    return {
        "tokenizer_type": bytes(reader.fields["tokenizer.ggml.model"].parts[-1]).decode(),
        "pre_tokenizer_type": bytes(reader.fields["tokenizer.ggml.pre"].parts[-1]).decode(),
        "tokens": strings("tokenizer.ggml.tokens"),
        "merges": strings("tokenizer.ggml.merges"),
        "token_type": [int(types.parts[i][0]) for i in types.data],
        "bos_token_id": scalar("tokenizer.ggml.bos_token_id"),
        "eos_token_id": scalar("tokenizer.ggml.eos_token_id"),
    }


def smollm2_tokenizer(td):
    """SmolLM2's own tokenizer.json shape: BPE (unk_token null, ignore_merges false) after
    Digits(individual_digits) + ByteLevel(GPT-2 regex); control tokens are special added tokens."""
    vocab = {token: i for i, token in enumerate(td["tokens"])}
    merges = [tuple(m.split(" ")) for m in td["merges"]]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([
        AddedToken(t, special=True, normalized=False)
        for t, ty in zip(td["tokens"], td["token_type"]) if ty == 3
    ])
    return tok


def smollm2_golden(gguf_path, out_dir, texts):
    td = gguf_tokenizer_dict(gguf_path)
    tok = smollm2_tokenizer(td)
    meta = {
        "source": os.path.basename(gguf_path),
        "pre_split_regexes": [r"\p{N}"],
        "split_regex": GPT2_SPLIT,
        "unk_id": None,
    }
    try:
        from transformers.integrations.gguf.gguf_tokenizer_mapping import convert_gguf_tokenizer
        converted, _ = convert_gguf_tokenizer("llama", td)
        meta["transformers_gguf_differs"] = [
            i for i, text in enumerate(texts)
            if converted.encode(text, add_special_tokens=False).ids != tok.encode(
                text, add_special_tokens=False).ids
        ]
    except ImportError:
        meta["transformers_gguf_differs"] = None
    lines = encode_lines(tok, texts)
    write_golden(os.path.join(out_dir, "smollm2.json"), meta, lines, decode_case_ids(tok), tok)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default=DATA_DIR,
                        help="data dir (default: the repository's data/)")
    parser.add_argument("--out", required=True, help="output dir (tests/golden/tokenizer)")
    parser.add_argument("--gguf", default=DEFAULT_GGUF, help="SmolLM2 GGUF; skipped if absent")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    texts = corpus(args.data_dir)
    for name in ("llama3", "mistral"):
        hf_file_golden(args.data_dir, args.out, name, texts)
    gguf_path = os.path.expanduser(args.gguf)
    if os.path.exists(gguf_path):
        smollm2_golden(gguf_path, args.out, texts)
    else:
        print("skipping smollm2: %s not found" % gguf_path, file=sys.stderr)


if __name__ == "__main__":
    main()
