#!/usr/bin/env python3
"""app_mt.py, as the Vitis AI tutorials write it, on dpurun: runners in threads, each running
execute_async / wait over its share of the images; then images/s and top-1.

The images are preprocessed as the model's manifest says and quantized to the input's fix point
(rounded and saturated) by dpurun; --backend cpu runs the bit-exact CPU reference, --backend dpu
the board's DPU through VART.

  python3 app_mt.py --model tf-resnet56-cifar10 --variant quantized --threads 4 --images 1000
"""
import argparse
import sys
import threading
import time

import numpy as np

import dpurun


def run_thread(runner, images, first, count, out):
    """One runner over images[first:first+count], a batch per job; top-1 into out."""
    batch = runner.batch
    in_shape = tuple(runner.get_input_tensors()[0].dims)
    out_tensor = runner.get_output_tensors()[0]
    input_data = [np.empty(in_shape, dtype=runner.get_input_tensors()[0].dtype, order="C")]
    output_data = [np.empty(tuple(out_tensor.dims), dtype=out_tensor.dtype, order="C")]
    for start in range(first, first + count, batch):
        n = min(batch, first + count - start)
        input_data[0][:n] = images[start:start + n]
        input_data[0][n:] = images[start]  # a partial last batch: padding, discarded
        job = runner.execute_async(input_data, output_data)
        runner.wait(job)
        out[start:start + n] = output_data[0][:n].reshape(n, -1).argmax(axis=1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="tf-resnet56-cifar10", help="manifest name, manifest .json or model file")
    p.add_argument("--variant", default="", help="the manifest's variant (default: its default)")
    p.add_argument("--data", default="", help="labelled images (default: ../shared/data/cifar10-test-jpg)")
    p.add_argument("--images", type=int, default=1000, help="the first N images of the data set")
    p.add_argument("--threads", type=int, default=2, help="runners, one thread each")
    p.add_argument("--batch", type=int, default=8, help="images per job (cpu; a DPU has its own)")
    p.add_argument("--backend", default="cpu", choices=["cpu", "dpu"])
    a = p.parse_args()

    try:
        manifest = dpurun.manifest(a.model)
        data = dpurun.Dataset(a.data or dpurun.default_data(), manifest.classes)
        runners = dpurun.make_runners(manifest.model_file(a.variant), backend=a.backend, runners=a.threads,
                                      batch=a.batch, inputs=[manifest.input_name] if manifest.input_name else [],
                                      outputs=[manifest.output_name] if manifest.output_name else [],
                                      input_shape=manifest.input_shape)
        count = min(a.images, len(data))
        images = data.load(list(range(count)), manifest, runners[0].get_input_tensors()[0])
    except dpurun.Error as e:
        sys.exit(f"app_mt: {e}")

    predictions = np.full(count, -1)
    share = -(-count // len(runners))
    threads = [threading.Thread(target=run_thread, args=(r, images, i * share, max(0, min(share, count - i * share)),
                                                         predictions))
               for i, r in enumerate(runners)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.time() - start
    if (predictions < 0).any():
        sys.exit("app_mt: a runner thread failed (see above); no result")

    correct = int((predictions == data.labels[:count]).sum())
    print(f"Runner: {runners[0].name}, {len(runners)} threads, batch {runners[0].batch}")
    print(f"Throughput={count / seconds:.2f} fps, total frames = {count:.0f}, time={seconds:.4f} seconds")
    print(f"Correct: {correct}, Wrong: {count - correct}, Accuracy: {correct / count:.4f}")


if __name__ == "__main__":
    main()
