"""Run every benchmark: `make bench` (python -m bench). Latency at scale is separate: `make bench-scale`."""

from __future__ import annotations

from bench import api, contact, load, log, vault


def main() -> None:
    print("VRM vault benchmarks (medians of interleaved runs; ratios against a same-run baseline)")
    for benchmark in (vault, contact, api, log, load):
        for result in benchmark.run():
            print(result, flush=True)


if __name__ == "__main__":
    main()
