"""Run every benchmark: `make bench` (python -m bench)."""

from __future__ import annotations

from bench import api, contact, log, vault


def main() -> None:
    print("VRM vault benchmarks (medians of interleaved runs; ratios against a same-run baseline)")
    for benchmark in (vault, contact, api, log):
        for result in benchmark.run():
            print(result, flush=True)


if __name__ == "__main__":
    main()
