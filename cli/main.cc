// The `headkv` command: flags -> options -> one subcommand. Every subcommand has --help.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/doctor.h"
#include "cli/eval.h"
#include "cli/generate.h"
#include "cli/heads.h"
#include "cli/sweep_cli.h"
#include "common/logging.h"

int main(int argc, char** argv) {
  CLI::App app{"headkv: head-level KV-cache compression research at scale"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", hkv::cli::version_line());
  std::string log_level;
  app.add_option("--log-level", log_level, "debug|info|warning|error|off (default: $HKV_LOG_LEVEL)")
      ->check([](const std::string& v) {
        hkv::LogLevel level;
        return hkv::parse_log_level(v, &level) ? std::string() : "unknown log level '" + v + "'";
      });

  hkv::cli::DoctorOptions doctor_options;
  CLI::App* doctor = app.add_subcommand("doctor", "Print build, CPU, GPU, BLAS and cache status");
  doctor->add_flag("--skip-self-test", doctor_options.skip_self_test,
                   "Do not run the device self-test kernel");

  hkv::cli::InspectOptions inspect_options;
  CLI::App* inspect = app.add_subcommand("inspect", "Print a model's config, tensors and memory");
  inspect->add_option("path", inspect_options.path, "Hugging Face folder or .gguf file")
      ->required();
  inspect->add_flag("--all", inspect_options.all_tensors, "List every tensor");

  hkv::cli::TokenizeOptions tok_options;
  CLI::App* tokenize = app.add_subcommand("tokenize", "Print token ids and pieces for a text");
  tokenize->add_option("--model", tok_options.model, "Model folder, .gguf or tokenizer.json")
      ->required();
  auto* text_opt = tokenize->add_option("--text", tok_options.text, "Text to tokenize");
  auto* file_opt = tokenize->add_option("--file", tok_options.file, "File to tokenize");
  text_opt->excludes(file_opt);
  tokenize->add_flag("--chat", tok_options.chat,
                     "Wrap the text as one user turn of the chat template");
  tokenize->add_option("--chat-template", tok_options.chat_template,
                       "Override the chat family: llama3|mistral|chatml|none");
  tokenize->add_flag("--no-special", tok_options.no_special, "Do not add BOS/EOS");

  hkv::cli::HeadsBudgetOptions budget_options;
  CLI::App* heads = app.add_subcommand("heads", "Head-importance scores: per-head budgets");
  heads->require_subcommand(1);
  CLI::App* budget = heads->add_subcommand("budget", "Print HeadKV per-head capacities");
  budget->add_option("scores", budget_options.scores, "Score file, or retrieval|reasoning")
      ->required();
  budget->add_option("--model", budget_options.model, "Model name for the aliases (llama|mistral)");
  budget->add_option("--budget", budget_options.budget, "KV size B")->required();
  budget->add_option("--beta", budget_options.beta, "beta >= 1")->required();
  budget->add_option("--temp", budget_options.temp, "Sharpening exponent (default 1)");
  budget->add_option("--window", budget_options.window, "Observation window (default 8)");
  budget->add_option("--layout", budget_options.layout, "reference|gqa");
  budget->add_option("--kv-heads", budget_options.kv_heads, "KV heads per layer (gqa)");
  budget->add_option("--format", budget_options.format, "table|json");

  hkv::cli::GenerateOptions gen;
  CLI::App* generate = app.add_subcommand("generate", "Generate with one or more KV configs");
  generate->add_option("--model", gen.model, "Model folder or .gguf")->required();
  auto* prompt_opt = generate->add_option("--prompt", gen.prompt, "Prompt text");
  generate->add_option("--prompt-file", gen.prompt_file, "Prompt file")->excludes(prompt_opt);
  generate->add_flag("--chat", gen.chat, "Wrap the prompt in the chat template");
  generate->add_option("--chat-template", gen.chat_template, "llama3|mistral|chatml|none");
  generate->add_option("--method", gen.methods, "Methods (repeat or comma-separate)")
      ->delimiter(',');
  generate->add_option("--budget", gen.budgets, "KV sizes B")->delimiter(',');
  generate->add_option("--beta", gen.betas, "HeadKV betas")->delimiter(',');
  generate->add_option("--temp", gen.temp, "HeadKV temp");
  generate->add_option("--head-scores", gen.head_scores, "retrieval|reasoning|FILE");
  generate->add_option("--layout", gen.layout, "reference|gqa");
  generate->add_option("--max-new-tokens", gen.max_new_tokens, "Tokens to generate");
  generate->add_option("--min-new-tokens", gen.min_new_tokens, "Ban stop ids for this many steps");
  generate->add_option("--stop", gen.stop_ids, "Stop token ids (default: EOS)")->delimiter(',');
  generate->add_flag("--per-layer", gen.per_layer, "Print per-layer cache entries");

  hkv::cli::HeadsShowOptions show_options;
  CLI::App* show = heads->add_subcommand("show", "Summarise a score file; --svg writes a heatmap");
  show->add_option("scores", show_options.scores, "Score file, or retrieval|reasoning")->required();
  show->add_option("--model", show_options.model, "Model name for the aliases (llama|mistral)");
  show->add_option("--top", show_options.top, "Top heads to list");
  show->add_option("--svg", show_options.svg, "Write a layers x heads heatmap SVG here");

  hkv::cli::HeadsDetectOptions detect_options;
  CLI::App* detect =
      heads->add_subcommand("detect", "Detect retrieval(-reasoning) heads of a model");
  detect->add_option("--model", detect_options.model, "Model folder or .gguf")->required();
  detect->add_option("--kind", detect_options.kind, "retrieval | retrieval-reasoning");
  detect->add_option("--haystack-dir", detect_options.haystack_dir,
                     "needles.jsonl + part*/ folder");
  detect->add_option("--lengths", detect_options.lengths, "Context lengths in tokens")
      ->delimiter(',');
  detect->add_option("--depths", detect_options.depths, "Number of depths over 0..100");
  detect->add_option("--max-decode-steps", detect_options.max_decode_steps,
                     "Retrieval decode steps");
  detect->add_option("--reasoning-steps", detect_options.reasoning_steps,
                     "Reasoning: decode N steps, not the answer's length (deviation)");
  detect->add_option("--out", detect_options.out, "Score file to write")->required();

  hkv::cli::EvalOptions ev;
  CLI::App* eval =
      app.add_subcommand("eval", "Run a benchmark locally (predictions, metrics, tables)");
  eval->add_option("--model", ev.model, "Model folder or .gguf")->required();
  eval->add_option("--benchmark", ev.benchmark, "longbench | needle | babilong")->required();
  eval->add_option("--datasets", ev.datasets, "LongBench datasets / BABILong tasks")
      ->delimiter(',');
  eval->add_option("--splits", ev.splits, "BABILong splits")->delimiter(',');
  eval->add_option("--limit", ev.limit, "First N samples per dataset");
  eval->add_option("--lengths", ev.lengths, "Needle START,STOP,STEP")->delimiter(',');
  eval->add_option("--depths", ev.depths, "Needle depth count");
  eval->add_option("--method", ev.methods, "Methods")->delimiter(',');
  eval->add_option("--budget", ev.budgets, "KV sizes")->delimiter(',');
  eval->add_option("--beta", ev.betas, "HeadKV betas")->delimiter(',');
  eval->add_option("--head-scores", ev.head_scores, "retrieval | reasoning | FILE");
  eval->add_option("--layout", ev.layout, "reference | gqa");
  eval->add_option("--max-new-tokens", ev.max_new_tokens, "Override generation length");
  eval->add_option("--out", ev.out_dir, "Output directory");

  hkv::cli::SweepCli sweep;
  hkv::cli::add_sweep_commands(app, &sweep);

  CLI11_PARSE(app, argc, argv);
  if (!log_level.empty()) {
    hkv::LogLevel level;
    hkv::parse_log_level(log_level, &level);
    hkv::set_log_level(level);
  }
  if (auto rc = hkv::cli::dispatch_sweep_commands(sweep)) {
    return *rc;
  }
  if (doctor->parsed()) {
    return hkv::cli::run_doctor(doctor_options);
  }
  if (inspect->parsed()) {
    return hkv::cli::run_inspect(inspect_options);
  }
  if (eval->parsed()) {
    return hkv::cli::run_eval(ev);
  }
  if (generate->parsed()) {
    return hkv::cli::run_generate(gen);
  }
  if (detect->parsed()) {
    return hkv::cli::run_heads_detect(detect_options);
  }
  if (show->parsed()) {
    return hkv::cli::run_heads_show(show_options);
  }
  if (budget->parsed()) {
    return hkv::cli::run_heads_budget(budget_options);
  }
  if (tokenize->parsed()) {
    if (!tok_options.text && !tok_options.file) {
      std::fprintf(stderr, "headkv tokenize: give --text or --file\n");
      return 2;
    }
    return hkv::cli::run_tokenize(tok_options);
  }
  std::printf("%s", app.help().c_str());
  return 0;
}
