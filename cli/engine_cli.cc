// Flags of the engine-side commands.
#include "cli/engine_cli.h"

#include <cstdio>

#include "formats/weights.h"

namespace hkv::cli {
namespace {

constexpr const char* kRandomWeightsHelp =
    "Random weights in the shape of --model's config.json (no weight files needed; like vLLM's "
    "dummy weights); the same as --model random:FOLDER";

// "random:" + the model when its --random-weights flag is set.
template <typename Options>
Options with_random_weights(const Options& o) {
  Options out = o;
  if (out.random_weights) {
    out.model = model::kRandomWeightsPrefix + out.model;
  }
  return out;
}

constexpr const char* kHeadScoresHelp =
    "retrieval | reasoning | FILE (default: HeadKV-R retrieval, HeadKV-R2 reasoning)";

// doctor, inspect, tokenize.
void add_info_commands(CLI::App& app, EngineCli* c) {
  c->doctor_cmd = app.add_subcommand("doctor", "Print build, CPU, GPU, BLAS and cache status");
  c->doctor_cmd->add_flag("--skip-self-test", c->doctor.skip_self_test,
                          "Do not run the device self-test kernel");
  c->doctor_cmd->add_option("--data-dir", c->doctor.data_dir,
                            "Data root searched first (also $HEADKV_DATA_DIR)");

  c->inspect_cmd = app.add_subcommand("inspect", "Print a model's config, tensors and memory");
  c->inspect_cmd->add_option("path", c->inspect.path, "Hugging Face folder or .gguf file")
      ->required();
  c->inspect_cmd->add_flag("--all", c->inspect.all_tensors, "List every tensor");

  c->tokenize_cmd = app.add_subcommand("tokenize", "Print token ids and pieces for a text");
  c->tokenize_cmd->add_option("--model", c->tokenize.model, "Model folder, .gguf or tokenizer.json")
      ->required();
  auto* text_opt = c->tokenize_cmd->add_option("--text", c->tokenize.text, "Text to tokenize");
  auto* file_opt = c->tokenize_cmd->add_option("--file", c->tokenize.file, "File to tokenize");
  text_opt->excludes(file_opt);
  c->tokenize_cmd->add_flag("--chat", c->tokenize.chat,
                            "Wrap the text as one user turn of the chat template");
  c->tokenize_cmd->add_option("--chat-template", c->tokenize.chat_template,
                              "Override the chat family: llama3|mistral|chatml|none");
  c->tokenize_cmd->add_flag("--no-special", c->tokenize.no_special, "Do not add BOS/EOS");
}

// heads budget | show | detect.
void add_heads_commands(CLI::App& app, EngineCli* c) {
  c->heads_cmd = app.add_subcommand("heads", "Head-importance scores: per-head budgets");
  c->heads_cmd->require_subcommand(1);
  c->budget_cmd = c->heads_cmd->add_subcommand("budget", "Print HeadKV per-head capacities");
  c->budget_cmd->add_option("scores", c->budget.scores, "Score file, or retrieval|reasoning")
      ->required();
  c->budget_cmd->add_option("--model", c->budget.model,
                            "Model name for the aliases (llama|mistral)");
  c->budget_cmd->add_option("--budget", c->budget.budget, "KV size B")->required();
  c->budget_cmd->add_option("--beta", c->budget.beta, "beta >= 1")->required();
  c->budget_cmd->add_option("--temp", c->budget.temp, "Sharpening exponent (default 1)");
  c->budget_cmd->add_option("--window", c->budget.window, "Observation window (default 8)");
  c->budget_cmd->add_option("--layout", c->budget.layout, "reference|gqa");
  c->budget_cmd->add_option("--kv-heads", c->budget.kv_heads, "KV heads per layer (gqa)");
  c->budget_cmd->add_option("--format", c->budget.format, "table|json");

  c->show_cmd =
      c->heads_cmd->add_subcommand("show", "Summarise a score file; --svg writes a heatmap");
  c->show_cmd->add_option("scores", c->show.scores, "Score file, or retrieval|reasoning")
      ->required();
  c->show_cmd->add_option("--model", c->show.model, "Model name for the aliases (llama|mistral)");
  c->show_cmd->add_option("--top", c->show.top, "Top heads to list");
  c->show_cmd->add_option("--svg", c->show.svg, "Write a layers x heads heatmap SVG here");

  c->detect_cmd =
      c->heads_cmd->add_subcommand("detect", "Detect retrieval(-reasoning) heads of a model");
  c->detect_cmd->add_option("--model", c->detect.model, "Model folder or .gguf")->required();
  c->detect_cmd->add_option("--kind", c->detect.kind, "retrieval | retrieval-reasoning");
  c->detect_cmd->add_option("--haystack-dir", c->detect.haystack_dir,
                            "needles.jsonl + part*/ folder");
  c->detect_cmd->add_option("--data-dir", c->detect.data_dir,
                            "Data root searched first for retrieval_haystack/");
  c->detect_cmd->add_option("--lengths", c->detect.lengths, "Context lengths in tokens")
      ->delimiter(',');
  c->detect_cmd->add_option("--depths", c->detect.depths, "Number of depths over 0..100");
  c->detect_cmd->add_option("--max-decode-steps", c->detect.max_decode_steps,
                            "Retrieval decode steps");
  c->detect_cmd->add_option("--reasoning-steps", c->detect.reasoning_steps,
                            "Reasoning: decode N steps, not the answer's length (deviation)");
  c->detect_cmd->add_option("--device", c->detect.device, "cpu | cuda:N | auto");
  c->detect_cmd->add_option("--dtype", c->detect.dtype, "GPU dtype (reference: bf16)");
  c->detect_cmd->add_option("--min-score", c->detect.min_score,
                            "Keep tests scoring above this (reference: 50; -1 keeps all)");
  c->detect_cmd->add_option("--out", c->detect.out, "Score file to write")->required();
}

void add_generate_command(CLI::App& app, EngineCli* c) {
  c->generate_cmd = app.add_subcommand("generate", "Generate with one or more KV configs");
  c->generate_cmd->add_option("--model", c->generate.model, "Model folder or .gguf")->required();
  c->generate_cmd->add_flag("--random-weights", c->generate.random_weights, kRandomWeightsHelp);
  auto* prompt_opt = c->generate_cmd->add_option("--prompt", c->generate.prompt, "Prompt text");
  c->generate_cmd->add_option("--prompt-file", c->generate.prompt_file, "Prompt file")
      ->excludes(prompt_opt);
  c->generate_cmd->add_flag("--chat", c->generate.chat, "Wrap the prompt in the chat template");
  c->generate_cmd->add_option("--chat-template", c->generate.chat_template,
                              "llama3|mistral|chatml|none");
  c->generate_cmd->add_option("--method", c->generate.methods, "Methods (repeat or comma-separate)")
      ->delimiter(',');
  c->generate_cmd->add_option("--budget", c->generate.budgets, "KV sizes B")->delimiter(',');
  c->generate_cmd->add_option("--beta", c->generate.betas, "HeadKV betas")->delimiter(',');
  c->generate_cmd->add_option("--temp", c->generate.temp, "HeadKV temp");
  c->generate_cmd->add_option("--head-scores", c->generate.head_scores, kHeadScoresHelp);
  c->generate_cmd->add_option("--layout", c->generate.layout, "reference|gqa");
  c->generate_cmd->add_option("--max-new-tokens", c->generate.max_new_tokens, "Tokens to generate");
  c->generate_cmd->add_option("--min-new-tokens", c->generate.min_new_tokens,
                              "Ban stop ids for this many steps");
  c->generate_cmd->add_option("--stop", c->generate.stop_ids, "Stop token ids (default: EOS)")
      ->delimiter(',');
  c->generate_cmd->add_flag("--per-layer", c->generate.per_layer, "Print per-layer cache entries");
  c->generate_cmd
      ->add_option("--tp", c->generate.tp,
                   "Tensor-parallel ranks (threads), heads placed to balance the HeadKV caches")
      ->check(CLI::Range(1, 64));
  c->generate_cmd->add_option("--trace", c->generate.trace,
                              "Write per config the kept positions per (layer, head) in score "
                              "order, each head's capacity and the first decode step's top-10 "
                              "logits as JSON here");
}

void add_eval_command(CLI::App& app, EngineCli* c) {
  c->eval_cmd =
      app.add_subcommand("eval", "Run a benchmark locally (predictions, metrics, tables)");
  c->eval_cmd->add_option("--model", c->eval.model, "Model folder or .gguf")->required();
  c->eval_cmd->add_flag("--random-weights", c->eval.random_weights, kRandomWeightsHelp);
  c->eval_cmd->add_option("--benchmark", c->eval.benchmark, "longbench | needle | babilong")
      ->required();
  c->eval_cmd->add_option("--datasets", c->eval.datasets, "LongBench datasets / BABILong tasks")
      ->delimiter(',');
  c->eval_cmd->add_option("--splits", c->eval.splits, "BABILong splits")->delimiter(',');
  c->eval_cmd->add_option("--limit", c->eval.limit, "First N samples per dataset");
  c->eval_cmd->add_option("--lengths", c->eval.lengths, "Needle START,STOP,STEP")->delimiter(',');
  c->eval_cmd->add_option("--depths", c->eval.depths, "Needle depth count");
  c->eval_cmd->add_option("--method", c->eval.methods, "Methods")->delimiter(',');
  c->eval_cmd->add_option("--budget", c->eval.budgets, "KV sizes")->delimiter(',');
  c->eval_cmd->add_option("--beta", c->eval.betas, "HeadKV betas")->delimiter(',');
  c->eval_cmd->add_option("--head-scores", c->eval.head_scores, kHeadScoresHelp);
  c->eval_cmd->add_option("--layout", c->eval.layout, "reference | gqa");
  c->eval_cmd->add_option("--max-new-tokens", c->eval.max_new_tokens, "Override generation length");
  c->eval_cmd->add_option("--out", c->eval.out_dir, "Output directory");
  c->eval_cmd->add_option("--data-dir", c->eval.data_dir,
                          "Data root searched before $HEADKV_DATA_DIR, the fetched and the "
                          "shipped data");
  c->eval_cmd->add_option("--device", c->eval.device, "cpu | cuda:N | auto");
  c->eval_cmd->add_option("--dtype", c->eval.dtype, "GPU compute dtype: f16 | bf16 | f32");
  c->eval_cmd
      ->add_option("--tp", c->eval.tp,
                   "Tensor-parallel ranks, heads placed to balance the HeadKV caches (CPU engine)")
      ->check(CLI::Range(1, 64));
  c->eval_cmd->add_option("--trace", c->eval.trace,
                          "Write the first sample's kept positions, capacities and first-step "
                          "top-10 logits per config to FILE (JSON; --device cpu)");
}

// gpu-compare, bench.
void add_gpu_commands(CLI::App& app, EngineCli* c) {
  c->compare_cmd = app.add_subcommand(
      "gpu-compare", "GPU engine report on one prompt: tokens, logits, kept-position overlap");
  auto& g = c->compare;
  c->compare_cmd->add_option("--model", g.model, "Model folder or .gguf")->required();
  c->compare_cmd->add_option("--prompt-ids", g.prompt_ids, "JSON list of token ids")->required();
  c->compare_cmd->add_option("--dtype", g.dtype, "f16 | bf16 | f32");
  c->compare_cmd->add_option("--device", g.device, "cuda:N");
  c->compare_cmd->add_option("--method", g.methods, "Methods")->delimiter(',');
  c->compare_cmd->add_option("--budget", g.budget, "KV size B");
  c->compare_cmd->add_option("--head-scores", g.head_scores, kHeadScoresHelp);
  c->compare_cmd->add_option("--layout", g.layout, "reference|gqa");
  c->compare_cmd->add_option("--max-new-tokens", g.max_new_tokens, "Tokens (no early stop)");
  c->compare_cmd->add_flag("--cpu-overlap", g.cpu_overlap, "Compare kept positions with the CPU");
  c->compare_cmd->add_option("--out", g.out_dir, "Output directory");

  c->bench_cmd = app.add_subcommand(
      "bench",
      "Benchmarks (bench/RESULTS.md): GPU ceilings, prefill, decode, a 12-config sweep; or "
      "--device cpu");
  auto& b = c->bench;
  c->bench_cmd->add_option("--model", b.model, "Model folder or .gguf");
  c->bench_cmd->add_flag("--random-weights", b.random_weights, kRandomWeightsHelp);
  c->bench_cmd->add_option("--dtype", b.dtype, "bf16 | f16");
  c->bench_cmd->add_option("--tokens", b.tokens, "Prompt tokens");
  c->bench_cmd->add_option("--new-tokens", b.new_tokens, "Decode steps per config");
  c->bench_cmd->add_option("--runs", b.runs, "Timed repetitions (median)");
  c->bench_cmd->add_option("--head-scores", b.head_scores, "HeadKV-R2 score file for the sweep");
  c->bench_cmd->add_flag("!--no-one-by-one", b.one_by_one,
                         "Skip the sweep's one-config-at-a-time comparison (A/B runs on a device "
                         "with little time: it takes ~9x the shared sweep)");
  c->bench_cmd->add_option(
      "--what", b.what,
      "all | ceilings | prefill | decode | sweep | linear (the decode GEMV against cuBLAS)");
  c->bench_cmd
      ->add_option("--tp", b.tp,
                   "Tensor-parallel engine over GPUs 0..N-1: prefill, decode and the sweep with "
                   "contiguous and balanced head placement")
      ->check(CLI::Range(1, 64));
  c->bench_cmd->add_option("--out", b.out, "JSON results file");
  c->bench_cmd->add_option("--device", b.device,
                           "cuda (default) | cpu: the CPU engine's prefill and SGEMM rate");
}

}  // namespace

void add_engine_commands(CLI::App& app, EngineCli* c) {
  add_info_commands(app, c);
  add_heads_commands(app, c);
  add_generate_command(app, c);
  add_eval_command(app, c);
  add_gpu_commands(app, c);
}

std::optional<int> dispatch_engine_commands(const EngineCli& c) {
  if (c.doctor_cmd->parsed()) {
    return run_doctor(c.doctor);
  }
  if (c.inspect_cmd->parsed()) {
    return run_inspect(c.inspect);
  }
  if (c.eval_cmd->parsed()) {
    return run_eval(with_random_weights(c.eval));
  }
  if (c.generate_cmd->parsed()) {
    return run_generate(with_random_weights(c.generate));
  }
  if (c.bench_cmd->parsed()) {
    if (c.bench.model.empty() && c.bench.what != "ceilings") {
      std::fprintf(stderr, "headkv bench: --model is required unless --what ceilings\n");
      return 2;
    }
    return run_bench(with_random_weights(c.bench));
  }
  if (c.compare_cmd->parsed()) {
    return run_gpu_compare(c.compare);
  }
  if (c.detect_cmd->parsed()) {
    return run_heads_detect(c.detect);
  }
  if (c.show_cmd->parsed()) {
    return run_heads_show(c.show);
  }
  if (c.budget_cmd->parsed()) {
    return run_heads_budget(c.budget);
  }
  if (c.tokenize_cmd->parsed()) {
    if (!c.tokenize.text && !c.tokenize.file) {
      std::fprintf(stderr, "headkv tokenize: give --text or --file\n");
      return 2;
    }
    return run_tokenize(c.tokenize);
  }
  return std::nullopt;
}

}  // namespace hkv::cli
