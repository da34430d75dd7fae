#!/usr/bin/env python3
"""Writes the fuzz seed corpus (fuzz/corpus/<target>/): small valid and slightly broken inputs.

Standard library only. Deterministic: running it again rewrites the same bytes. The hand-written
tokenizer seeds (fuzz/corpus/fuzz_tokenizer_json/{bytelevel_bpe,llama3_split_bpe,
sentencepiece_bpe}.json) are inputs here, not outputs; everything else in the corpus is generated.

Inputs that reproduce open findings go to repro/ beside CORPUS_DIR; run one with
`build-fuzz/fuzz/<target> fuzz/repro/<target>-<name>`.

Usage: fuzz/make_seeds.py [CORPUS_DIR]   (default: fuzz/corpus next to this script)
"""

import json
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def write(corpus, target, name, data):
    folder = os.path.join(corpus, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def pseudo_random_bytes(n, seed):
    """A fixed LCG byte stream: tensor payloads that are not all zeros, identical on every run."""
    out = bytearray()
    state = seed
    for _ in range(n):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append((state >> 16) & 0xFF)
    return bytes(out)


# ---- GGUF ---------------------------------------------------------------------------------------

GGUF_UINT32, GGUF_INT32, GGUF_FLOAT32, GGUF_BOOL, GGUF_STRING, GGUF_ARRAY = 4, 5, 6, 7, 8, 9
GGUF_UINT64 = 10

# GGML type id -> (elements per block, bytes per block), the subset formats/dequant.h reads.
GGML_TYPES = {
    "F32": (0, 1, 4),
    "F16": (1, 1, 2),
    "Q4_0": (2, 32, 18),
    "Q4_1": (3, 32, 20),
    "Q5_0": (6, 32, 22),
    "Q5_1": (7, 32, 24),
    "Q8_0": (8, 32, 34),
    "Q4_K": (12, 256, 144),
    "Q5_K": (13, 256, 176),
    "Q6_K": (14, 256, 210),
    "BF16": (30, 1, 2),
}


def gguf_string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def gguf_value(kind, value):
    if kind == GGUF_UINT32:
        return struct.pack("<I", value)
    if kind == GGUF_INT32:
        return struct.pack("<i", value)
    if kind == GGUF_UINT64:
        return struct.pack("<Q", value)
    if kind == GGUF_FLOAT32:
        return struct.pack("<f", value)
    if kind == GGUF_BOOL:
        return struct.pack("<B", 1 if value else 0)
    if kind == GGUF_STRING:
        return gguf_string(value)
    if kind == GGUF_ARRAY:
        elem_kind, items = value
        out = struct.pack("<IQ", elem_kind, len(items))
        for item in items:
            out += gguf_value(elem_kind, item)
        return out
    raise ValueError(kind)


def gguf_file(metadata, tensors, version=3, alignment=32):
    """metadata: [(key, kind, value)]; tensors: [(name, dims (GGML order), type name)]."""
    out = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(metadata))
    for key, kind, value in metadata:
        out += gguf_string(key) + struct.pack("<I", kind) + gguf_value(kind, value)
    payloads = []
    offset = 0
    for i, (name, dims, type_name) in enumerate(tensors):
        type_id, block_elems, block_bytes = GGML_TYPES[type_name]
        elements = 1
        for d in dims:
            elements *= d
        nbytes = elements // block_elems * block_bytes
        out += gguf_string(name) + struct.pack("<I", len(dims))
        out += b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", type_id, offset)
        payload = pseudo_random_bytes(nbytes, seed=i + 1)
        if type_name in ("F16", "BF16"):
            payload = b"\x00\x3c" * (nbytes // 2)  # 1.0 in f16; a small normal value in bf16
        payloads.append(payload)
        offset += (nbytes + alignment - 1) // alignment * alignment
    out += b"\x00" * ((-len(out)) % alignment)
    for payload in payloads:
        out += payload + b"\x00" * ((-len(payload)) % alignment)
    return out


TOKENS = ["<|endoftext|>", "H", "e", "l", "o", "\u0120", "w", "r", "d", "He", "ll", "llo",
          "Hello", "\u0120w", "or", "\u0120wor", "\u0120worl", "\u0120world", "1", "2", "!"]
MERGES = ["H e", "l l", "ll o", "He llo", "\u0120 w", "o r", "\u0120w or", "\u0120wor l",
          "\u0120worl d"]


def tiny_llama_metadata(pre="smollm"):
    types = [3] + [1] * (len(TOKENS) - 1)
    return [
        ("general.architecture", GGUF_STRING, "llama"),
        ("general.name", GGUF_STRING, "fuzz-tiny"),
        ("general.alignment", GGUF_UINT32, 32),
        ("llama.context_length", GGUF_UINT32, 128),
        ("llama.embedding_length", GGUF_UINT32, 32),
        ("llama.block_count", GGUF_UINT32, 1),
        ("llama.feed_forward_length", GGUF_UINT32, 64),
        ("llama.attention.head_count", GGUF_UINT32, 4),
        ("llama.attention.head_count_kv", GGUF_UINT32, 2),
        ("llama.rope.freq_base", GGUF_FLOAT32, 10000.0),
        ("llama.attention.layer_norm_rms_epsilon", GGUF_FLOAT32, 1e-5),
        ("tokenizer.ggml.model", GGUF_STRING, "gpt2"),
        ("tokenizer.ggml.pre", GGUF_STRING, pre),
        ("tokenizer.ggml.tokens", GGUF_ARRAY, (GGUF_STRING, TOKENS)),
        ("tokenizer.ggml.token_type", GGUF_ARRAY, (GGUF_INT32, types)),
        ("tokenizer.ggml.merges", GGUF_ARRAY, (GGUF_STRING, MERGES)),
        ("tokenizer.ggml.bos_token_id", GGUF_UINT32, 0),
        ("tokenizer.ggml.eos_token_id", GGUF_UINT32, 0),
        ("tokenizer.ggml.add_bos_token", GGUF_BOOL, False),
        ("tokenizer.chat_template", GGUF_STRING,
         "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
         "{% endfor %}"),
    ]


def make_gguf(corpus):
    t = "fuzz_gguf"
    vocab = len(TOKENS)
    tensors = [
        ("token_embd.weight", [32, vocab], "F16"),
        ("blk.0.attn_norm.weight", [32], "F32"),
        ("blk.0.attn_q.weight", [32, 32], "Q8_0"),
        ("blk.0.attn_k.weight", [32, 16], "Q4_0"),
        ("blk.0.attn_v.weight", [32, 16], "Q4_1"),
        ("blk.0.attn_output.weight", [32, 32], "Q5_0"),
        ("blk.0.ffn_gate.weight", [32, 64], "Q5_1"),
        ("blk.0.ffn_up.weight", [256, 1], "Q4_K"),
        ("blk.0.ffn_down.weight", [256, 1], "Q5_K"),
        ("blk.0.ffn_norm.weight", [256, 1], "Q6_K"),
        ("output_norm.weight", [32], "BF16"),
    ]
    model = gguf_file(tiny_llama_metadata(), tensors)
    write(corpus, t, "tiny_llama_v3.gguf", model)
    write(corpus, t, "tiny_llama_llama3_pre.gguf",
          gguf_file(tiny_llama_metadata(pre="llama-bpe"), tensors[:2]))
    write(corpus, t, "metadata_only_v2.gguf",
          gguf_file([("general.architecture", GGUF_STRING, "llama"),
                     ("general.name", GGUF_STRING, "v2"),
                     ("some.u64", GGUF_UINT64, 1 << 40),
                     ("some.floats", GGUF_ARRAY, (GGUF_FLOAT32, [0.5, -1.0, 3.25]))],
                    [], version=2))
    write(corpus, t, "empty_v3.gguf", gguf_file([], []))
    # Slightly broken: each fails one check of formats/gguf.cc.
    write(corpus, t, "truncated.gguf", model[: len(model) - 100])
    write(corpus, t, "bad_magic.gguf", b"GGUX" + model[4:200])
    write(corpus, t, "version_4.gguf", b"GGUF" + struct.pack("<I", 4) + model[8:200])
    write(corpus, t, "huge_counts.gguf", b"GGUF" + struct.pack("<IQQ", 3, 1 << 60, 1 << 60))
    write(corpus, t, "alignment_3.gguf",
          gguf_file([("general.alignment", GGUF_UINT32, 3)], [("a", [4], "F32")]))
    write(corpus, t, "nested_arrays.gguf",
          gguf_file([("nested", GGUF_ARRAY,
                      (GGUF_ARRAY, [(GGUF_INT32, [1, 2]), (GGUF_INT32, [3])]))], []))
    write(corpus, t, "row_not_block_multiple.gguf",
          gguf_file([], [("q", [32, 2], "Q8_0")])[:-1] + b"\x00")


# ---- safetensors --------------------------------------------------------------------------------

ST_SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
            "U8": 1, "BOOL": 1}


def safetensors_file(tensors, metadata=None, header_override=None):
    """tensors: [(name, dtype, shape)] laid out in order; returns the file bytes."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    data = b""
    for i, (name, dtype, shape) in enumerate(tensors):
        n = ST_SIZES[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        data += pseudo_random_bytes(n, seed=100 + i)
        offset += n
    text = header_override if header_override is not None else json.dumps(header)
    raw = text.encode("utf-8")
    raw += b" " * ((-len(raw)) % 8)  # the reference writer pads the header to 8 bytes
    return struct.pack("<Q", len(raw)) + raw + data


def make_safetensors(corpus):
    t = "fuzz_safetensors"
    every_dtype = [("t_" + d.lower(), d, [2, 3]) for d in ST_SIZES]
    write(corpus, t, "every_dtype.safetensors",
          safetensors_file(every_dtype, metadata={"format": "pt"}))
    write(corpus, t, "tiny_llama.safetensors", safetensors_file([
        ("model.embed_tokens.weight", "BF16", [16, 8]),
        ("model.layers.0.input_layernorm.weight", "F32", [8]),
        ("model.layers.0.self_attn.q_proj.weight", "F16", [8, 8]),
        ("model.norm.weight", "F32", [8]),
    ], metadata={"format": "pt", "note": "fuzz seed"}))
    write(corpus, t, "empty_header.safetensors", safetensors_file([]))
    write(corpus, t, "zero_sized_tensor.safetensors",
          safetensors_file([("a", "F32", [2]), ("empty", "F32", [0, 4])]))
    write(corpus, t, "scalar.safetensors", safetensors_file([("s", "F64", [])]))
    good = safetensors_file([("a", "F32", [2, 2]), ("b", "I8", [4])])
    write(corpus, t, "truncated.safetensors", good[:-3])
    write(corpus, t, "header_too_big.safetensors", struct.pack("<Q", 1 << 40) + b"{}")
    write(corpus, t, "gap.safetensors", safetensors_file([], header_override=json.dumps(
        {"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})) + b"\x00" * 8)
    write(corpus, t, "overlap.safetensors", safetensors_file([], header_override=json.dumps(
        {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
         "b": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}})) + b"\x00" * 8)
    write(corpus, t, "unknown_dtype.safetensors", safetensors_file([], header_override=json.dumps(
        {"a": {"dtype": "F8_E4M3", "shape": [4], "data_offsets": [0, 4]}})) + b"\x00" * 4)
    write(corpus, t, "negative_shape.safetensors", safetensors_file([], header_override=json.dumps(
        {"a": {"dtype": "U8", "shape": [-1, 4], "data_offsets": [0, 4]}})) + b"\x00" * 4)
    write(corpus, t, "not_object.safetensors", safetensors_file([], header_override="[1, 2, 3]"))


# ---- tokenizer.json -----------------------------------------------------------------------------


def make_tokenizer(corpus):
    t = "fuzz_tokenizer_json"
    folder = os.path.join(corpus, t)
    with open(os.path.join(folder, "bytelevel_bpe.json"), encoding="utf-8") as f:
        base = f.read()
    config = {
        "add_bos_token": True, "add_eos_token": False, "bos_token": "<|endoftext|>",
        "eos_token": {"content": "<|endoftext|>", "special": True},
        "clean_up_tokenization_spaces": False,
        "chat_template": "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'"
                         " + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}",
    }
    write(corpus, t, "bytelevel_with_config.txt",
          base.rstrip("\n") + "\n#tokenizer_config.json\n" + json.dumps(config, indent=1) + "\n")
    doc = json.loads(base)
    doc["model"]["merges"].append("zz q")
    write(corpus, t, "bad_merge.json", json.dumps(doc))
    doc = json.loads(base)
    doc["pre_tokenizer"]["pretokenizers"].insert(0, {
        "type": "Split", "pattern": {"Regex": "(a+)+$"}, "behavior": "Isolated", "invert": False})
    write(corpus, t, "split_regex.json", json.dumps(doc))
    doc = json.loads(base)
    doc["pre_tokenizer"]["pretokenizers"].insert(0, {
        "type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated"})
    write(corpus, t, "bad_regex.json", json.dumps(doc))
    doc = json.loads(base)
    doc["added_tokens"][0]["id"] = 7  # clashes with the vocab's "w"
    write(corpus, t, "added_token_clash.json", json.dumps(doc))
    write(corpus, t, "truncated.json", base[: len(base) // 2])


# ---- sweep YAML ---------------------------------------------------------------------------------


def make_sweeps(corpus):
    t = "fuzz_sweep_yaml"
    for name in sorted(os.listdir(os.path.join(REPO, "examples"))):
        if name.endswith(".yaml"):
            shutil.copyfile(os.path.join(REPO, "examples", name), os.path.join(corpus, t, name))
    write(corpus, t, "grid_variant.yaml", """name: grid
model: ~/models/llama
dtype: bf16
priority: 3
benchmarks:
  - benchmark: longbench
    datasets: [qasper, comprehension_and_reasoning]
    limit: 2
  - benchmark: needle
    datasets: [PaulGrahamEssays]
    lengths: [1000, 4000]
    depths: [0, 25, 100]
  - benchmark: babilong
    datasets: [qa3]
    splits: [0k, 32k]
    limit: 1
methods:
  - method: pyramidkv
    budgets: [64, 128]
    layout: gqa
  - method: HeadKV-R2
    budgets: [128]
    betas: [1.005, 1.5]
    temps: [1.0]
    head_scores: reasoning
  - method: HeadKV-R
    budgets: [96]
    betas: [1.2]
    temps: [0.5, 2]
    head_scores: scores/custom.json
window: 4
kernel: 5
pooling: avgpool
max_new_tokens: 32
""")
    write(corpus, t, "json_form.json", json.dumps({
        "name": "as-json", "model": "/m.gguf",
        "benchmarks": [{"benchmark": "heads", "datasets": ["retrieval"], "lengths": [0, 100],
                        "depths": 2, "needles": 1, "min_score": -1, "max_decode_steps": 8}],
    }))
    write(corpus, t, "anchors_aliases.yaml", """name: &n aliased
model: *n
benchmarks:
  - &b {benchmark: needle, lengths: {start: 100, stop: 300, step: 100}, depths: 2}
methods: [{method: FullKV}, {method: SnapKV, budgets: [16, 32]}]
""")
    # Slightly broken: each is rejected with a field path.
    write(corpus, t, "bad_budget.yaml", """name: bad
model: m
benchmarks: [{benchmark: needle, lengths: [100], depths: 1}]
methods: [{method: SnapKV, budgets: [4]}]
window: 8
""")
    write(corpus, t, "unknown_method.yaml", """name: bad
model: m
benchmarks: [{benchmark: babilong, datasets: [qa9], splits: [1k]}]
methods: [{method: MagicKV}]
""")
    write(corpus, t, "bad_yaml.yaml", "name: [unclosed\nmodel: {a: b\n  - c\n")


# ---- JSONL --------------------------------------------------------------------------------------


def make_jsonl(corpus):
    t = "fuzz_jsonl"
    lb = [
        {"input": "What is the paper about?", "context": "A paper on {braces} and caches.",
         "answers": ["caches"], "length": 7, "dataset": "qasper", "language": "en",
         "all_classes": None, "_id": "abc123"},
        {"input": "\u95ee\u9898", "context": "\u4e0a\u4e0b\u6587", "answers": ["a", "b"],
         "length": 2, "dataset": "lsht", "language": "zh", "all_classes": ["x", "y"],
         "_id": "zh1"},
    ]
    write(corpus, t, "longbench.jsonl", "".join(json.dumps(r, ensure_ascii=False) + "\n"
                                                for r in lb))
    bl = [
        {"input": "  Mary went to the kitchen. John moved to the hall.\n", "question":
         "Where is Mary?", "target": "kitchen"},
        {"input": "\u00a0Daniel took the apple.\u3000", "question": "Who has the apple?",
         "target": "Daniel"},
    ]
    write(corpus, t, "babilong.jsonl", "\r\n".join(json.dumps(r) for r in bl) + "\r\n")
    write(corpus, t, "blank_lines.jsonl", "\n   \n" + json.dumps(lb[0]) + "\n\n")
    write(corpus, t, "template.jsonl",
          "Context: {context}\\nQuestion: {input} {{literal}}\n" + json.dumps(bl[0]) + "\n")
    write(corpus, t, "wrong_types.jsonl", json.dumps(dict(lb[0], answers="caches")) + "\n")
    write(corpus, t, "not_object.jsonl", "[1, 2, 3]\n")
    write(corpus, t, "truncated.jsonl", json.dumps(lb[0])[:40])


# ---- proto requests (hand-encoded protobuf wire format) -----------------------------------------


def varint(n):
    n &= (1 << 64) - 1  # negative int64 as two's complement, ten bytes
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_varint(field, value):
    return varint(field << 3) + varint(value)


def f_bytes(field, value):
    if isinstance(value, str):
        value = value.encode("utf-8")
    return varint(field << 3 | 2) + varint(len(value)) + value


def f_double(field, value):
    return varint(field << 3 | 1) + struct.pack("<d", value)


def f_packed_doubles(field, values):
    return f_bytes(field, b"".join(struct.pack("<d", v) for v in values))


def config_result(index, prediction, head_scores=None):
    out = (f_varint(1, index) + f_bytes(2, prediction) + f_double(3, 0.5) + f_varint(4, 4096) +
           f_varint(5, 64) + f_double(6, 12.5) + f_varint(7, 3))
    if head_scores is not None:
        layers, heads, scores, kept = head_scores
        out += f_bytes(8, f_varint(1, layers) + f_varint(2, heads) +
                       f_packed_doubles(3, scores) + f_varint(4, 1) + f_varint(5, int(kept)))
    return out


def make_proto(corpus):
    t = "fuzz_proto_handlers"
    # Selector byte (fuzz/fuzz_proto_handlers.cc): bits 0-1 request, bit 2 aim at the leased
    # task, bit 3 expire leases first, bit 4 the scheduler holding heads tasks.
    report, heartbeat, submit, register, aim, expire, heads_tasks = 0, 1, 2, 3, 4, 8, 16
    ok_two = (f_varint(4, 1) + f_bytes(7, "e3b0c442") + f_bytes(8, "ref one") +
              f_double(9, 80.0) + f_varint(10, 120) +
              f_bytes(11, config_result(0, "the answer")) +
              f_bytes(11, config_result(1, "the other answer")))
    write(corpus, t, "report_ok_two_configs", bytes([report | aim]) + ok_two)
    heads = (f_varint(4, 1) + f_varint(10, 50) +
             f_bytes(11, config_result(0, "needle", (2, 2, [0.0, 0.25, 1.0, 0.5], True))))
    write(corpus, t, "report_ok_head_scores", bytes([report | aim | heads_tasks]) + heads)
    # The fuzzer's first find (fixed in ce0f7e8): scores that do not fill layers x heads were
    # recorded, then broke results() of the sweep. Now INVALID_ARGUMENT; kept as a regression seed.
    write(corpus, t, "report_head_scores_wrong_size", bytes([report | aim | heads_tasks]) +
          f_varint(4, 1) + f_bytes(11, config_result(0, "x", (2, 2, [1.0], False))))
    write(corpus, t, "report_retryable_failure",
          bytes([report | aim]) + f_varint(4, 0) + f_bytes(5, "CUDA OOM") + f_varint(6, 1))
    write(corpus, t, "report_final_failure",
          bytes([report | aim | expire]) + f_bytes(5, "bad prompt") + f_varint(6, 0))
    write(corpus, t, "report_duplicate_index", bytes([report | aim]) + f_varint(4, 1) +
          f_bytes(11, config_result(0, "a")) + f_bytes(11, config_result(0, "b")))
    write(corpus, t, "report_stale_unknown_task",
          bytes([report]) + f_bytes(1, "nobody") + f_varint(2, 999) + f_varint(3, 1) +
          f_varint(4, 1) + f_bytes(11, config_result(-1, "x")))
    write(corpus, t, "heartbeat_aimed",
          bytes([heartbeat | aim | heads_tasks]) + f_double(4, 123.5) + f_varint(5, 1 << 30))
    write(corpus, t, "heartbeat_unknown_worker",
          bytes([heartbeat | expire]) + f_bytes(1, "ghost") + f_varint(2, -5) + f_varint(3, 7) +
          f_varint(6, 1))
    small_sweep = """name: fuzz-small
model: /m.gguf
benchmarks:
  - benchmark: needle
    lengths: [100, 200]
    depths: 2
  - benchmark: babilong
    datasets: [qa1]
    splits: [0k]
    limit: 2
methods:
  - method: FullKV
  - method: HeadKV-R
    budgets: [32]
    betas: [1.01]
    temps: [1]
    head_scores: retrieval
"""
    write(corpus, t, "submit_small_sweep",
          bytes([submit]) + f_bytes(1, f_bytes(1, small_sweep) + f_bytes(2, "small.yaml")))
    # With a request id: a second submit of it returns the first sweep (idempotent retry).
    write(corpus, t, "submit_with_request_id",
          bytes([submit]) + f_bytes(1, f_bytes(1, small_sweep) + f_bytes(2, "small.yaml")) +
          f_bytes(2, "client-7f3a-1"))
    write(corpus, t, "submit_invalid_sweep",
          bytes([submit]) + f_bytes(1, f_bytes(1, "name: x\nmodel: y\nbenchmarks: []\n") +
                                    f_bytes(2, "bad.yaml")))
    worker = (f_bytes(1, "") + f_bytes(2, "host-a") + f_bytes(3, "cuda:0") +
              f_bytes(4, "NVIDIA H100 80GB HBM3") + f_varint(5, 80 << 30))
    write(corpus, t, "register_worker", bytes([register]) + f_bytes(1, worker))
    write(corpus, t, "register_and_pull", bytes([register | aim]) + f_bytes(1, f_bytes(
        1, "explicit-id") + f_bytes(3, "cpu")))
    write(corpus, t, "register_no_hostname", bytes([register]) + f_bytes(1, f_bytes(3, "cpu")))


def make_repros(repro):
    """Inputs that reproduce open findings. Not seeds: a seed that crashes stops every run."""
    os.makedirs(repro, exist_ok=True)
    # UBSan: signed overflow in LlamaConfig::num_parameters() (formats/config.cc) for a config that
    # validate() accepts: hidden 2,080,374,816 with 4 heads.
    meta = [(k, kind, 2080374816 if k == "llama.embedding_length" else v)
            for k, kind, v in tiny_llama_metadata()]
    with open(os.path.join(repro, "fuzz_gguf-num_parameters_overflow.gguf"), "wb") as f:
        f.write(gguf_file(meta, []))


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "corpus")
    for target in ("fuzz_gguf", "fuzz_safetensors", "fuzz_tokenizer_json", "fuzz_sweep_yaml",
                   "fuzz_jsonl", "fuzz_proto_handlers"):
        os.makedirs(os.path.join(corpus, target), exist_ok=True)
    make_gguf(corpus)
    make_safetensors(corpus)
    make_tokenizer(corpus)
    make_sweeps(corpus)
    make_jsonl(corpus)
    make_proto(corpus)
    make_repros(os.path.join(os.path.dirname(os.path.abspath(corpus)), "repro"))
    total = 0
    for root, _, files in os.walk(corpus):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print(f"make_seeds: corpus in {corpus}, {total} bytes")


if __name__ == "__main__":
    main()
