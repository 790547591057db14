"""A small Python workload: text statistics, a prime sieve, JSON round trip.

    python3 demo.py INPUT OUTPUT

Reads the text file INPUT, writes a JSON summary to OUTPUT, reads it back and
prints it. Only the standard library; the output does not depend on the
Python version or the platform, so the host's python3 and the one inside
PyOcclum must print the same lines.
"""

import hashlib
import json
import os
import re
import sys
from collections import Counter


def primes_below(n: int) -> list[int]:
    sieve = bytearray([1]) * n
    sieve[:2] = b"\0\0"
    for i in range(2, int(n**0.5) + 1):
        if sieve[i]:
            sieve[i * i::i] = bytes(len(range(i * i, n, i)))
    return [i for i, flag in enumerate(sieve) if flag]


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: demo.py INPUT OUTPUT", file=sys.stderr)
        return 2
    source, target = sys.argv[1], sys.argv[2]
    with open(source, "rb") as f:
        raw = f.read()
    words = re.findall(r"[a-z']+", raw.decode("utf-8").lower())
    primes = primes_below(200_000)
    summary = {
        "bytes": len(raw),
        "sha256": hashlib.sha256(raw).hexdigest(),
        "words": len(words),
        "top": Counter(words).most_common(5),
        "primes below 200000": len(primes),
        "largest": primes[-1],
    }
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    with open(target, "w") as f:
        json.dump(summary, f, indent=1, sort_keys=True)
    with open(target) as f:
        back = json.load(f)
    for key in sorted(back):
        print(f"{key}: {back[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
