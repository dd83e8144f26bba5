// The runner pool: N runners in N threads, fed by a pipeline with bounded queues
// (decode → preprocess and quantize → run → postprocess), so that the device, not the host,
// is the bottleneck. Batches come from the runners' batch size; a partial last batch is padded
// and its padding discarded.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "dpurun/error.h"
#include "dpurun/runner.h"

namespace dpurun {

struct ImageFailure {
  std::size_t image = 0;
  std::string error;
  ErrorCode code = ErrorCode::kDevice;  // kDevice: the job failed or timed out; else the loader's
};

// How a run treats its jobs; `eval` and `bench` hand theirs to the pool as it is.
struct JobPolicy {
  int timeout_ms = 10000;  // per job; negative: no limit
  // On a failed image or job: false records it and goes on; true stops the run.
  bool stop_on_error = false;
  // Set (e.g. by a signal handler) to stop: running jobs finish, nothing new starts.
  const std::atomic<bool>* cancel = nullptr;
};

struct PoolOptions {
  int preprocess_threads = 0;  // 0: one per core
  // Jobs each runner keeps submitted, so that its device starts the next one the moment one
  // ends; 0: as many as the runner asks for (Runner::jobs_in_flight).
  int jobs_per_runner = 0;
  // Buffer sets per runner; 0: the jobs in flight, one delivering and one filling.
  int queue_depth = 0;
  JobPolicy jobs;
  // Told of each failed image as it fails (with the pool's lock held: do not call back into it).
  std::function<void(const ImageFailure&)> on_failure;
};

// Writes image `image` into `out`: one image of the input tensor (H×W×C elements of its type,
// quantized to its fix point where it has one). Called from the preprocess threads; throws Error
// naming the image when it cannot.
using ImageLoader = std::function<void(std::size_t image, const TensorInfo& input, std::byte* out)>;
// Receives image `image`'s output (output tensor 0 as floats, dequantized). Calls are serialized.
using ResultSink = std::function<void(std::size_t image, const float* output, std::size_t count)>;


struct PoolStats {
  std::size_t images = 0;     // asked for (a fixed count) or taken from the feed
  std::size_t completed = 0;  // delivered to the sink
  std::vector<ImageFailure> failures;
  bool stopped = false;     // the run ended before every image was tried
  std::string stop_reason;  // why, when stopped
  std::size_t jobs = 0;
  std::vector<double> device_ms;      // per job: runner time (the DPU's, where it reports it)
  std::vector<double> end_to_end_ms;  // per job: first image loaded → last output delivered
  std::vector<std::size_t> job_first_image;  // per job: its first image
  std::vector<std::size_t> images_per_runner;
  double seconds = 0;
  bool complete() const { return !stopped && failures.empty() && completed == images; }
};

// Images that arrive over time (a benchmark's queries) rather than a fixed count. The pool's
// preprocess threads call it concurrently.
class Feed {
 public:
  virtual ~Feed() = default;
  // Up to `max` images that have arrived, numbered on from the previous call: [first, first +
  // count). May wait briefly (tens of ms) for arrivals; 0 when none arrived meanwhile.
  virtual std::size_t take(std::size_t max, std::size_t& first) = 0;
  // True once take() will never return more.
  virtual bool ended() const = 0;
};

// Runs `images` images through the runners (which must all take the same input tensors; one
// thread each). Never throws for a failed image or job: those are in the returned failures.
// Throws Error when the runners cannot be used together (none, mismatched, more than one input).
PoolStats run_pool(const std::vector<Runner*>& runners, std::size_t images,
                   const ImageLoader& load, const ResultSink& sink, const PoolOptions& options = {});
// Runs the images `feed` hands out until it ends, as above.
PoolStats run_pool(const std::vector<Runner*>& runners, Feed& feed, const ImageLoader& load,
                   const ResultSink& sink, const PoolOptions& options = {});

}  // namespace dpurun
