"""The Python module against the C++ API and the CLI: identical outputs, identical errors.

Run by CTest (python.pytest), which sets PYTHONPATH to the built module and names the programs
compared with: DPURUN_CLI (dpurun) and DPURUN_REFERENCE_OUTPUTS (the C++ API's outputs).
Tests that need ../shared skip, saying so, where it is missing.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import dpurun

SOURCE = Path(os.environ.get("DPURUN_SOURCE_DIR", Path(__file__).resolve().parents[2]))
SHARED = Path(os.environ.get("DPURUN_SHARED_DIR", SOURCE.parent / "shared"))
MODELS = SHARED / "models"
CIFAR = SHARED / "data" / "cifar10-test-jpg"
CLI = os.environ.get("DPURUN_CLI", "dpurun")
RESNET = SOURCE / "models" / "tf-resnet56-cifar10.json"

needs_shared = pytest.mark.skipif(
    not (MODELS / "tf-resnet56-cifar10").is_dir() or not CIFAR.is_dir(),
    reason=f"{SHARED} (the shared models and CIFAR-10 images) is missing",
)


def cli(*args):
    """dpurun ARGS as a subprocess: (exit code, stdout, stderr)."""
    p = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def cli_error(*args):
    """The message `dpurun ARGS` prints after 'dpurun: error: '."""
    code, _, err = cli(*args)
    assert code != 0, f"dpurun {' '.join(args)} succeeded"
    prefix = "dpurun: error: "
    assert prefix in err, f"no error in: {err}"
    return err[err.index(prefix) + len(prefix):].rstrip("\n")


def cpp_outputs(variant, count, batch, tmp_path):
    """The C++ API's outputs (python/tests/reference_outputs.cpp) for the first `count` images."""
    out = tmp_path / f"{variant}.f32"
    if "DPURUN_REFERENCE_OUTPUTS" not in os.environ:
        pytest.skip("DPURUN_REFERENCE_OUTPUTS (the build's py_reference_outputs) is not set: run through ctest")
    subprocess.run([os.environ["DPURUN_REFERENCE_OUTPUTS"], str(RESNET), str(MODELS), variant, str(CIFAR),
                    str(count), str(batch), str(out)], check=True, timeout=600)
    return np.fromfile(out, dtype=np.float32).reshape(count, -1)


def resnet(variant, batch):
    mf = dpurun.manifest(str(RESNET))
    model = dpurun.Model(mf.model_file(variant), inputs=[mf.input_name], outputs=[mf.output_name],
                         input_shape=mf.input_shape)
    runner = dpurun.cpu_runner(model, batch=batch)
    data = dpurun.Dataset(str(CIFAR), mf.classes)
    return mf, runner, data


# --- the bit-exact reference, from Python ---------------------------------------------------------

def test_quantize_input_rounds_half_up_and_saturates():
    # fix point 2: x · 4, rounded half up (DPU_ROUND), saturated to [-128, 127]; NaN → 0
    x = np.array([0.125, -0.125, 0.375, 1.0, 40.0, -40.0, np.nan, -0.3], dtype=np.float32)
    assert dpurun.quantize_input(x, 2).tolist() == [1, 0, 2, 4, 127, -128, 0, -1]
    assert dpurun.quantize_input(x, 2, "truncate").tolist() == [0, 0, 1, 4, 127, -128, 0, -1]
    assert dpurun.quantize_input(x, 2, "half-even").tolist() == [0, 0, 2, 4, 127, -128, 0, -1]
    # the shape stays; float64 input is taken as float32
    y = dpurun.quantize_input(np.full((2, 3), 0.5), 1)
    assert y.dtype == np.int8 and y.shape == (2, 3) and (y == 1).all()
    assert (dpurun.dequantize(np.array([4, -128], dtype=np.int8), 2) == [1.0, -32.0]).all()


@needs_shared
@pytest.mark.parametrize("variant", ["quantized", "float"])
def test_runner_and_pool_outputs_equal_the_cpp_apis_bit_for_bit(variant, tmp_path):
    count, batch = 40, 8  # 40 images: five full batches
    expected = cpp_outputs(variant, count, batch, tmp_path)
    mf, runner, data = resnet(variant, batch)
    x = data.load(list(range(count)), mf, runner.input_tensors[0])
    assert x.dtype == (np.int8 if variant == "quantized" else np.float32)
    # VART's way: execute_async on arrays the caller made, then wait
    outputs = []
    for first in range(0, count, batch):
        y = np.empty(runner.output_tensors[0].shape, dtype=np.float32)
        job = runner.execute_async([x[first:first + batch]], [y])
        assert runner.wait(job) == 0
        outputs.append(y)
    assert np.array_equal(np.concatenate(outputs), expected)
    # the pool, two runners
    runners = [runner, resnet(variant, batch)[1]]
    pooled, stats = dpurun.run_pool(runners, x)
    assert stats["complete"] and stats["completed"] == count and not stats["failures"]
    assert np.array_equal(pooled, expected)


@needs_shared
def test_eval_returns_the_clis_report(tmp_path):
    args = dict(model="tf-resnet56-cifar10", variant="quantized", limit=50, batch=16)
    report = dpurun.eval(**args)
    code, _, err = cli("eval", "--model", "tf-resnet56-cifar10", "--variant", "quantized", "--limit", "50",
                       "--batch", "16", "--json", str(tmp_path / "cli.json"), "--quiet")
    assert code == 0, err
    expected = json.loads((tmp_path / "cli.json").read_text())
    assert report["complete"] and report["images"] == 50
    for key in ("predictions", "accuracy", "images", "model", "data"):
        assert report[key] == expected[key], key
    assert report["settings"]["limit"] == 50 and report["settings"]["batch"] == 16


@needs_shared
def test_eval_with_a_reference_and_a_baseline_that_check_passes(tmp_path):
    baseline = tmp_path / "baseline.json"
    report = dpurun.eval(model="lenet-cifar10-vck190", variant="quantized", reference="onnx", limit=64,
                         save_baseline=str(baseline), golden=4)
    assert report["agreement"]["images"] == 64 and report["model"]["images"] == 64
    assert baseline.is_file()
    result = dpurun.check(str(baseline), threads=1)
    assert result["passed"] is True, result
    # a tighter gate than the run can meet fails, as the CLI's exit code 1 does
    failed = dpurun.check(str(baseline), min_agreement=1.5)
    assert failed["passed"] is False


@needs_shared
def test_bench_returns_its_points():
    report = dpurun.bench(model="lenet-cifar10-vck190", limit=64, threads=1, batch=8, min_count=64,
                          min_duration=0, warmup=0)
    assert report["complete"] is True
    assert len(report["points"]) == 1 and report["points"][0]["threads"] == 1


@needs_shared
def test_inspect_describes_the_model():
    info = dpurun.inspect(str(MODELS / "tf-resnet56-cifar10" / "quantize_eval_model.pb"))
    code, out, err = cli("inspect", str(MODELS / "tf-resnet56-cifar10" / "quantize_eval_model.pb"), "--json")
    assert code == 0, err
    assert info == json.loads(out)


# --- the same errors, with the same messages ------------------------------------------------------

@needs_shared
def test_errors_are_the_clis_messages(tmp_path):
    # a missing model file, an unknown model name, an unknown conversion: eval's own messages
    for args, kw in [
        (["--model", str(tmp_path / "missing.pb")], dict(model=str(tmp_path / "missing.pb"))),
        (["--model", "no-such-model"], dict(model="no-such-model")),
        (["--model", "tf-resnet56-cifar10", "--input-conversion", "sideways"],
         dict(model="tf-resnet56-cifar10", input_conversion="sideways")),
    ]:
        expected = cli_error("eval", *args)
        with pytest.raises(dpurun.Error) as e:
            dpurun.eval(**kw)
        assert str(e.value) == expected
    # a truncated model file: the loader's message, naming the file
    truncated = tmp_path / "truncated.pb"
    truncated.write_bytes((MODELS / "tf-resnet56-cifar10" / "float_frozen.pb").read_bytes()[:5000])
    expected = cli_error("inspect", str(truncated))
    with pytest.raises(dpurun.Error) as e:
        dpurun.inspect(str(truncated))
    assert str(e.value) == expected and str(truncated) in str(e.value)
    expected = cli_error("eval", "--model", str(truncated), "--scale", "1")  # loads it to run it
    with pytest.raises(dpurun.Error) as e:
        dpurun.Model(str(truncated))
    assert str(e.value) == expected and str(truncated) in str(e.value)
    assert e.value.code == "invalid model"


def test_an_unknown_option_is_refused_by_name():
    with pytest.raises(dpurun.Error) as e:
        dpurun.eval(model="tf-resnet56-cifar10", no_such_option=3)
    assert "--no-such-option" in str(e.value) and e.value.code == "invalid argument"


@needs_shared
def test_arrays_that_do_not_fit_the_tensor_are_refused():
    mf, runner, data = resnet("quantized", 2)
    y = np.empty((2, 10), dtype=np.float32)
    with pytest.raises(dpurun.Error, match=r"quantize_input\(x, 4\)"):
        runner.execute_async([np.zeros((2, 32, 32, 3), dtype=np.float32)], [y])
    with pytest.raises(dpurun.Error, match="int8"):
        runner.execute_async([np.zeros((3, 32, 32, 3), dtype=np.int8)], [y])
    with pytest.raises(dpurun.Error, match="C-contiguous"):
        runner.execute_async([np.zeros((2, 32, 32, 6), dtype=np.int8)[..., ::2]], [y])
    with pytest.raises(dpurun.Error, match="no job"):
        runner.wait(12345)
    with pytest.raises(dpurun.Error, match="image 10000 of 10000"):
        data.load([10000], mf, runner.input_tensors[0])


# --- threads, processes and Ctrl-C ----------------------------------------------------------------

@needs_shared
def test_the_gil_is_released_while_the_pool_runs():
    mf, runner, data = resnet("quantized", 8)
    x = np.repeat(data.load(list(range(8)), mf, runner.input_tensors[0]), 64, axis=0)  # 512 images
    ticks, stop = [], threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    time.sleep(0.02)
    start = time.monotonic()
    _, stats = dpurun.run_pool([runner], x)
    end = time.monotonic()
    stop.set()
    t.join()
    assert stats["complete"]
    # Python ran in the other thread while the pool worked: with the GIL held it could not have.
    inside = [s for s in ticks if start + 0.01 < s < end - 0.01]
    assert end - start > 0.05 and len(inside) >= 3, (end - start, len(inside))


@needs_shared
def test_isolated_runners_give_the_same_outputs():
    mf = dpurun.manifest("tf-resnet56-cifar10")
    file = mf.model_file("quantized")
    in_process = dpurun.make_runners(file, runners=1, batch=4, isolation="off")
    isolated = dpurun.make_runners(file, runners=2, batch=4, isolation="on")
    assert isolated[0].jobs_in_flight == 3 and in_process[0].jobs_in_flight == 1
    data = dpurun.Dataset(str(CIFAR), mf.classes)
    x = data.load(list(range(24)), mf, isolated[0].input_tensors[0])
    a, sa = dpurun.run_pool(in_process, x)
    b, sb = dpurun.run_pool(isolated, x)
    assert sa["complete"] and sb["complete"] and np.array_equal(a, b)
    # VART's interface on an isolated runner: its memory is its own, so outputs come back by copy
    y = np.zeros((4, 10), dtype=np.float32)
    isolated[0].wait(isolated[0].execute_async([x[:4]], [y]))
    assert np.array_equal(y, a[:4])


@needs_shared
def test_ctrl_c_stops_a_run_and_raises_keyboard_interrupt():
    # Python's own handler, even where this process started with SIGINT ignored (a background job)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # the plain-loop kernels over 10,000 images: many minutes, unless stopped
            dpurun.eval(model="tf-resnet56-cifar10", variant="float", batch=1, threads=1, kernels="reference")
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    # stopped at the next image: well under the run's length (a second per 100 images here)
    assert time.monotonic() - start < 10


@needs_shared
def test_the_app_mt_example_runs(tmp_path):
    example = SOURCE / "examples" / "python" / "app_mt.py"
    p = subprocess.run([sys.executable, str(example), "--model", "tf-resnet56-cifar10", "--variant", "quantized",
                        "--threads", "2", "--images", "64", "--data", str(CIFAR)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    # its top-1 is the CLI's over the same 64 images (the first 64, in data set order)
    correct = [line for line in p.stdout.splitlines() if line.startswith("Correct:")]
    assert correct, p.stdout
    mf, runner, data = resnet("quantized", 8)
    x = data.load(list(range(64)), mf, runner.input_tensors[0])
    out, _ = dpurun.run_pool([runner], x)
    assert correct[0].split()[1].rstrip(",") == str(int((out.argmax(1) == data.labels[:64]).sum()))
