#!/usr/bin/env python3
"""Renders the chat-template goldens that tokenizer/chat_template.cc must reproduce byte for byte.

For each family headkv ships (Llama-3 Instruct, Mistral-7B-Instruct-v0.2, ChatML/SmolLM2) this
renders the same ~20 conversations with the model's own Jinja template and writes
tests/golden/chat/<family>.json: the template source, the bos/eos strings it was given, and per
case either the rendered text or the raise_exception message.

Jinja settings are Hugging Face's (transformers chat_template_utils._compile_jinja_template):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]),
globals raise_exception (-> jinja2.TemplateError) and strftime_now, the tojson override, and the
render variables messages, add_generation_prompt, bos_token, eos_token. When transformers is
importable every rendering is also cross-checked against tokenizer.apply_chat_template(...,
tokenize=False) and the script fails on any difference.

Usage:
  tools/reference/make_chat_goldens.py --data-dir data \
      --gguf ~/.cache/headkv/models/SmolLM2-135M-Instruct.Q4_1.gguf --out tests/golden/chat

Output is deterministic: fixed case order, no timestamps, no absolute paths.
Data files are read plain or as NAME.gz (data_files.py).
"""

import argparse
import datetime
import json
import os
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from data_files import DATA_DIR, data_path, open_data

# The reference template for Mistral-7B-Instruct-v0.2: the chat_template of
# mistralai/Mistral-7B-Instruct-v0.2's tokenizer_config.json around its dca6e4b6 revision. The
# tokenizer_config.json in data/ (tokenizers/mistral) has NO chat_template, so this constant
# is the reference and is stored in the golden for the detection test.
MISTRAL_V02_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}"
    "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}"
    "{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}"
    "{% endif %}{% endfor %}")


# transformers >= 5 apply_chat_template: ValueError for an empty message list.
EMPTY_CONVERSATION_ERROR = ("Cannot apply chat template to an empty conversation. Provide at least "
                            "one message.")


def msg(role, content):
    return {"role": role, "content": content}


# (name, messages, add_generation_prompt). Shared by every family: a conversation that is valid
# for one template may raise in another (Mistral has no system role), and that is the point.
CASES = [
    ("single_user", [msg("user", "Hello!")], True),
    ("single_user_no_generation_prompt", [msg("user", "Hello!")], False),
    ("system_user", [msg("system", "You are terse."), msg("user", "What is 2+2?")], True),
    ("multi_turn", [msg("user", "Hi"), msg("assistant", "Hello! How can I help?"),
                    msg("user", "Tell me a joke.")], True),
    ("multi_turn_ends_with_assistant", [msg("user", "Hi"), msg("assistant", "Hello.")], False),
    ("system_multi_turn", [msg("system", "Be kind."), msg("user", "a"), msg("assistant", "b"),
                           msg("user", "c")], True),
    ("surrounding_ascii_whitespace", [msg("user", "  \n\tHello there\n\n  "),
                                      msg("assistant", "\r\n Sure. \x0b\x0c")], True),
    ("internal_newlines", [msg("user", "line one\nline two\r\n\nline four")], True),
    ("unicode", [msg("user", "héllo wörld 世界 🎉 Ωμέγα")], True),
    # Python str.strip (Jinja `trim`) removes these: NBSP, ideographic space, line/paragraph
    # separators, NEL, U+1C..1F, U+2000..200A, U+202F, U+205F, U+1680. ZWSP and BOM are kept.
    ("unicode_whitespace", [msg("user", "\u3000\u00a0\u2028 wide \u2029\u0085\x1c\x1f"),
                            msg("assistant", "\u1680\u2000\u200a\u202f\u205f ok \u205f"),
                            msg("user", "\u200bzero width\ufeff")], True),
    ("braces", [msg("user", "{{ not_a_var }} {% if x %}{} {{{ }}} {# c #}")], True),
    ("literal_special_tokens", [msg("user", "<|eot_id|><|start_header_id|>user<|end_header_id|>"
                                            "<|im_start|>[INST] <s></s> [/INST]<|im_end|>")],
     True),
    ("empty_content", [msg("user", "")], True),
    ("whitespace_only_content", [msg("user", " \n\t ")], False),
    ("empty_conversation", [], True),
    ("empty_conversation_no_generation_prompt", [], False),
    ("system_only", [msg("system", "You are a pirate.")], True),
    ("custom_role", [msg("user", "Weather?"), msg("tool", "{\"temp\": 21}")], True),
    ("assistant_first", [msg("assistant", "I speak first."), msg("user", "ok")], True),
    ("user_user", [msg("user", "one"), msg("user", "two")], True),
    ("system_second", [msg("user", "hi"), msg("system", "late system")], True),
]


def hf_environment():
    """A jinja2 environment configured as transformers configures it for apply_chat_template."""
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[jinja2.ext.loopcontrols])

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.datetime.now().strftime(fmt)
    return env


def render_cases(template_source, bos, eos):
    template = hf_environment().from_string(template_source)
    cases = []
    for name, messages, add_generation_prompt in CASES:
        case = {"name": name, "messages": messages, "add_generation_prompt": add_generation_prompt}
        if not messages:
            # Jinja alone would render these (bos and/or the generation prompt), but
            # apply_chat_template rejects them before rendering, and a prompt with no message is
            # never what a caller meant; headkv follows transformers.
            case["error"] = EMPTY_CONVERSATION_ERROR
            cases.append(case)
            continue
        try:
            case["expected"] = template.render(messages=messages,
                                               add_generation_prompt=add_generation_prompt,
                                               bos_token=bos, eos_token=eos)
        except jinja2.exceptions.TemplateError as e:
            case["error"] = str(e)
        cases.append(case)
    return cases


def read_gguf_strings(path):
    import gguf  # only needed for the SmolLM2 template
    reader = gguf.GGUFReader(path)

    def field_str(key):
        f = reader.fields[key]
        return bytes(f.parts[f.data[0]]).decode("utf-8")

    def token(key):
        f = reader.fields[key]
        token_id = int(f.parts[f.data[0]][0])
        tokens = reader.fields["tokenizer.ggml.tokens"]
        return bytes(tokens.parts[tokens.data[token_id]]).decode("utf-8")

    return (field_str("tokenizer.chat_template"), token("tokenizer.ggml.bos_token_id"),
            token("tokenizer.ggml.eos_token_id"))


def cross_check(family, tokenizer_dir, template_source, bos, eos, cases):
    """Compares against transformers' own apply_chat_template; returns the number checked."""
    try:
        from transformers import PreTrainedTokenizerFast
    except ImportError:
        print(f"{family}: transformers not importable, cross-check skipped", file=sys.stderr)
        return 0
    tokenizer_file = data_path(os.path.join(tokenizer_dir, "tokenizer.json"))
    tok = PreTrainedTokenizerFast(tokenizer_file=tokenizer_file, bos_token=bos, eos_token=eos,
                                  chat_template=template_source)
    checked = 0
    for case in cases:
        try:
            got = tok.apply_chat_template(case["messages"], tokenize=False,
                                          add_generation_prompt=case["add_generation_prompt"])
            outcome = ("expected", got)
        except (jinja2.exceptions.TemplateError, ValueError) as e:  # ValueError: empty chat
            outcome = ("error", str(e))
        want = ("expected", case["expected"]) if "expected" in case else ("error", case["error"])
        if outcome != want:
            sys.exit(f"{family}/{case['name']}: transformers gives {outcome!r}, jinja2 {want!r}")
        checked += 1
    return checked


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=DATA_DIR,
                    help="data dir, holds tokenizers/ (default: the repository's data/)")
    ap.add_argument("--gguf", required=True, help="SmolLM2-135M-Instruct GGUF (ChatML template)")
    ap.add_argument("--out", required=True, help="output folder, e.g. tests/golden/chat")
    args = ap.parse_args()

    llama3_dir = os.path.join(args.data_dir, "tokenizers", "llama3")
    mistral_dir = os.path.join(args.data_dir, "tokenizers", "mistral")
    with open_data(os.path.join(llama3_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        llama3_config = json.load(f)
    with open_data(os.path.join(mistral_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        mistral_config = json.load(f)
    if mistral_config.get("chat_template"):
        sys.exit("tokenizers/mistral/tokenizer_config.json now has a chat_template; revisit")
    smol_template, smol_bos, smol_eos = read_gguf_strings(os.path.expanduser(args.gguf))

    families = [
        # (file stem, model hint, template, origin, bos, eos, tokenizer dir for the cross-check)
        ("llama3", "llama", llama3_config["chat_template"],
         "tokenizers/llama3/tokenizer_config.json chat_template",
         llama3_config["bos_token"], llama3_config["eos_token"], llama3_dir),
        ("mistral", "mistral", MISTRAL_V02_TEMPLATE,
         "mistralai/Mistral-7B-Instruct-v0.2 (rev dca6e4b6) chat_template, committed in "
         "make_chat_goldens.py; tokenizers/mistral/tokenizer_config.json has none",
         mistral_config["bos_token"], mistral_config["eos_token"], mistral_dir),
        # The template never uses bos/eos; the tokens are recorded for completeness. Any
        # tokenizer.json serves the cross-check since rendering does not touch the vocabulary.
        ("chatml", "llama", smol_template,
         "SmolLM2-135M-Instruct.Q4_1.gguf tokenizer.chat_template", smol_bos, smol_eos,
         llama3_dir),
    ]
    os.makedirs(args.out, exist_ok=True)
    for stem, hint, template, origin, bos, eos, tok_dir in families:
        cases = render_cases(template, bos, eos)
        checked = cross_check(stem, tok_dir, template, bos, eos, cases)
        doc = {
            "family": stem,
            "template_origin": origin,
            "template_source": template,
            "model_hint": hint,
            "bos_token": bos,
            "eos_token": eos,
            "jinja": f"jinja2 {jinja2.__version__.split('.')[0]}.x ImmutableSandboxedEnvironment "
                     "trim_blocks=True lstrip_blocks=True, raise_exception -> TemplateError",
            "cases": cases,
        }
        path = os.path.join(args.out, f"{stem}.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
            f.write("\n")
        errors = sum("error" in c for c in cases)
        print(f"{path}: {len(cases)} cases ({errors} errors), {checked} cross-checked "
              "with transformers")


if __name__ == "__main__":
    main()
