// dataset2metric of THUDM/LongBench eval.py, extended with HeadKV's LooGLE tasks (all qa_f1).
#include "benchmarks/benchmark_scoring.h"

#include <utility>

namespace hkv::jobs {
namespace {

constexpr std::pair<std::string_view, LongBenchMetric> kMetrics[] = {
    {"narrativeqa", LongBenchMetric::kQaF1},
    {"qasper", LongBenchMetric::kQaF1},
    {"multifieldqa_en", LongBenchMetric::kQaF1},
    {"multifieldqa_zh", LongBenchMetric::kQaF1Zh},
    {"hotpotqa", LongBenchMetric::kQaF1},
    {"2wikimqa", LongBenchMetric::kQaF1},
    {"musique", LongBenchMetric::kQaF1},
    {"dureader", LongBenchMetric::kRougeZh},
    {"gov_report", LongBenchMetric::kRouge},
    {"qmsum", LongBenchMetric::kRouge},
    {"multi_news", LongBenchMetric::kRouge},
    {"vcsum", LongBenchMetric::kRougeZh},
    {"trec", LongBenchMetric::kClassification},
    {"triviaqa", LongBenchMetric::kQaF1},
    {"samsum", LongBenchMetric::kRouge},
    {"lsht", LongBenchMetric::kClassification},
    {"passage_retrieval_en", LongBenchMetric::kRetrieval},
    {"passage_count", LongBenchMetric::kCount},
    {"passage_retrieval_zh", LongBenchMetric::kRetrievalZh},
    {"lcc", LongBenchMetric::kCodeSim},
    {"repobench-p", LongBenchMetric::kCodeSim},
    {"comprehension_and_reasoning", LongBenchMetric::kQaF1},
    {"multiple_information_retrieval", LongBenchMetric::kQaF1},
    {"timeline_reorder", LongBenchMetric::kQaF1},
    {"computation", LongBenchMetric::kQaF1},
};

}  // namespace

Result<LongBenchMetric> longbench_dataset_metric(std::string_view dataset) {
  for (const auto& [name, metric] : kMetrics) {
    if (name == dataset) {
      return metric;
    }
  }
  return errorf(StatusCode::kNotFound, "no LongBench metric for dataset '%.*s'",
                static_cast<int>(dataset.size()), dataset.data());
}

bool longbench_uses_first_line(std::string_view d) {
  return d == "trec" || d == "triviaqa" || d == "samsum" || d == "lsht";
}

Result<double> score_longbench_prediction(std::string_view dataset,
                                          std::string_view prediction,
                                          std::span<const std::string> answers,
                                          std::span<const std::string> all_classes) {
  HKV_ASSIGN_OR_RETURN(LongBenchMetric metric, longbench_dataset_metric(dataset));
  std::string_view pred =
      longbench_uses_first_line(dataset) ? longbench_first_line(prediction) : prediction;
  return longbench_example_score(metric, pred, answers, all_classes);
}

}  // namespace hkv::jobs
