#!/usr/bin/env python3
"""HF transformers baseline on the GPU host, same shapes as `headkv bench`:
    hf_baseline.py MODEL_DIR OUT.json [--tokens 8192] [--new-tokens 128] [--runs 5]
        [--random-weights] [--prefill-only]
Times (CUDA events / synchronised clock, one warm-up, median of --runs): prefill of TOKENS random
ids; a hand-written greedy decode loop over a DynamicCache (ms per token); generate() of NEW_TOKENS
tokens with no early stop (one config = FullKV; a 12-config sweep costs 12 of these).
--random-weights builds the model from MODEL_DIR/config.json alone with random bf16 weights on the
GPU (as `headkv bench --random-weights` does; no 16 GB of files); --prefill-only stops after the
prefill."""
import argparse
import json
import statistics
import time

import torch
from transformers import AutoModelForCausalLM, DynamicCache, LlamaConfig


def load_model(model_dir, random_weights):
    """The bf16 model on the GPU: MODEL_DIR's weights, or random ones built from its config.json
    alone (also bench/hf_sweep_estimate.py's)."""
    if not random_weights:
        return AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16).to("cuda").eval()
    config = LlamaConfig.from_pretrained(model_dir)
    config._attn_implementation = "sdpa"
    torch.set_default_dtype(torch.bfloat16)  # built in bf16 directly: no 32 GB fp32 copy
    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(config).eval()
    torch.set_default_dtype(torch.float32)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--tokens", type=int, default=8192)
    ap.add_argument("--new-tokens", type=int, default=128)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--random-weights", action="store_true")
    ap.add_argument("--prefill-only", action="store_true")
    a = ap.parse_args()
    model = load_model(a.model, a.random_weights)
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(0, model.config.vocab_size, (1, a.tokens), generator=g).to("cuda")

    def timed(fn):
        fn()
        torch.cuda.synchronize()
        out = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            fn()
            torch.cuda.synchronize()
            out.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(out)

    with torch.no_grad():
        prefill_ms = timed(lambda: model(ids, use_cache=True))
        res = {"card": torch.cuda.get_device_name(0), "torch": torch.__version__,
               "transformers": __import__("transformers").__version__, "tokens": a.tokens}
        if a.prefill_only:
            # generate()'s own prefill: the LM head on the last position only (headkv's too).
            last_ms = timed(lambda: model(ids, use_cache=True, logits_to_keep=1))
            res.update(random_weights=a.random_weights, prefill_ms=prefill_ms,
                       prefill_last_logits_ms=last_ms)
            json.dump(res, open(a.out, "w"), indent=1)
            print(f"HF {res['transformers']} on {res['card']}: prefill {a.tokens} {prefill_ms:.1f} ms"
                  f" (all logits), {last_ms:.1f} ms (last position's logits)")
            return

        def loop():
            cache = DynamicCache()
            logits = model(ids, past_key_values=cache, use_cache=True).logits[:, -1]
            tok = logits.argmax(-1, keepdim=True)
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(a.new_tokens - 1):
                logits = model(tok, past_key_values=cache, use_cache=True).logits[:, -1]
                tok = logits.argmax(-1, keepdim=True)
            torch.cuda.synchronize()
            return (time.perf_counter() - t0) * 1e3 / (a.new_tokens - 1)
        loop()
        loop_ms = statistics.median([loop() for _ in range(a.runs)])
        generate_ms = timed(lambda: model.generate(ids, max_new_tokens=a.new_tokens,
                                                   min_new_tokens=a.new_tokens, do_sample=False,
                                                   eos_token_id=None, pad_token_id=0))
    res.update(new_tokens=a.new_tokens, prefill_ms=prefill_ms, loop_ms_per_token=loop_ms,
               generate_ms_per_config=generate_ms, sweep12_generate_ms=12 * generate_ms)
    json.dump(res, open(a.out, "w"), indent=1)
    print(f"HF {res['transformers']} on {res['card']}: prefill {a.tokens} {prefill_ms:.0f} ms;"
          f" decode loop {loop_ms:.1f} ms/token; generate() {generate_ms:.0f} ms per config"
          f" ({a.new_tokens} tokens) -> 12 configs {12 * generate_ms / 1e3:.1f} s")


if __name__ == "__main__":
    main()
