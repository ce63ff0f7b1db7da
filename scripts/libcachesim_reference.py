#!/usr/bin/env python3
"""Miss ratios that libCacheSim (PyPI package `libcachesim`) reports on an oracleGeneral trace, as rows of
`mode policy cache_size miss_ratio byte_miss_ratio`: the reference data of twin/tests/cache_replay.rs.

    python3 -m venv .venv && .venv/bin/pip install libcachesim==0.3.5
    .venv/bin/python scripts/libcachesim_reference.py ../shared/traces/zipf-a0.8-n20k-r200k.oracleGeneral.bin \
        > twin/tests/data/libcachesim_reference.txt
"""

import sys
from importlib.metadata import version

import libcachesim as lcs

# (mode, cache sizes): object mode counts each object as 1 (libCacheSim's ignore_obj_size).
SIZES = {"objects": [100, 1000, 5000], "bytes": [1_000_000_000, 10_000_000_000]}
POLICIES = {
    "lru": lcs.LRU,
    "lfu": lcs.LFU,
    "fifo": lcs.FIFO,
    "belady": lcs.Belady,
    "sieve": lcs.Sieve,
    "s3fifo": lcs.S3FIFO,
    "arc": lcs.ARC,
}


def main(path: str) -> None:
    print(f"# libCacheSim {version('libcachesim')} (PyPI libcachesim) on {path.rsplit('/', 1)[-1]}")
    print("# written by scripts/libcachesim_reference.py; default parameters for every policy")
    print("# mode policy cache_size miss_ratio byte_miss_ratio")
    for mode, sizes in SIZES.items():
        params = lcs.ReaderInitParam(ignore_obj_size=(mode == "objects"))
        for name, policy in POLICIES.items():
            for size in sizes:
                reader = lcs.TraceReader(path, lcs.TraceType.ORACLE_GENERAL_TRACE, params)
                miss, byte_miss = policy(size).process_trace(reader)
                print(f"{mode} {name} {size} {miss:.6f} {byte_miss:.6f}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
