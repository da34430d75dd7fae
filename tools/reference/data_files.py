"""The repository's data/ folder, whose files are stored either plain or gzip-compressed as NAME.gz.

The make_*_goldens.py scripts import this (they run as tools/reference/<script>.py, so this folder
is on sys.path). Every helper takes the plain name (data/longbench/qasper.jsonl) and works whether
that file exists or only NAME.gz does; a plain file wins when both exist.

  open_data(path, mode)  open() for reading, or gzip.open() of NAME.gz (text mode unless "b")
  glob_data(pattern)     glob.glob() over plain and .gz names, reported by their plain names
  data_path(path)        a real file path, for libraries that open the file themselves
                         (tokenizers.Tokenizer.from_file): NAME.gz is decompressed to a temp file
  data_dir_path(folder)  the same for a folder a library reads (AutoTokenizer.from_pretrained):
                         a temp copy with every NAME.gz decompressed, when it holds any
Temp files are removed when the interpreter exits.
"""

import atexit
import glob
import gzip
import os
import shutil
import tempfile

DATA_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../data"))

_temp_root = None
_materialized = {}


def _temp_dir():
    global _temp_root
    if _temp_root is None:
        _temp_root = tempfile.mkdtemp(prefix="headkv-data-")
        atexit.register(shutil.rmtree, _temp_root, True)
    return tempfile.mkdtemp(dir=_temp_root)


def open_data(path, mode="r", **kwargs):
    if os.path.exists(path) or not os.path.exists(path + ".gz"):
        return open(path, mode, **kwargs)
    if "b" not in mode and "t" not in mode:
        mode += "t"  # gzip.open's "r" is binary
    return gzip.open(path + ".gz", mode, **kwargs)


def glob_data(pattern):
    names = set(glob.glob(pattern))
    names.update(p[:-len(".gz")] for p in glob.glob(pattern + ".gz"))
    return sorted(names)


def _decompress(src, dst):
    with gzip.open(src, "rb") as f, open(dst, "wb") as out:
        shutil.copyfileobj(f, out)


def data_path(path):
    if os.path.exists(path) or not os.path.exists(path + ".gz"):
        return path
    key = os.path.abspath(path)
    if key not in _materialized:
        out = os.path.join(_temp_dir(), os.path.basename(path))
        _decompress(path + ".gz", out)
        _materialized[key] = out
    return _materialized[key]


def data_dir_path(folder):
    if not glob.glob(os.path.join(glob.escape(folder), "**", "*.gz"), recursive=True):
        return folder
    key = os.path.abspath(folder) + os.sep
    if key not in _materialized:
        out = os.path.join(_temp_dir(), os.path.basename(os.path.normpath(folder)))
        for root, _, files in os.walk(folder):
            target = os.path.join(out, os.path.relpath(root, folder))
            os.makedirs(target, exist_ok=True)
            for name in files:
                src = os.path.join(root, name)
                if name.endswith(".gz") and not os.path.exists(src[:-len(".gz")]):
                    _decompress(src, os.path.join(target, name[:-len(".gz")]))
                else:
                    shutil.copy2(src, os.path.join(target, name))
        _materialized[key] = out
    return _materialized[key]
