"""Python stubs for the grpc.testing interop protos, generated when first asked for.

The protos live in the repository (Protos/grpc/testing/{empty,messages,test}.proto); nothing
generated is committed. `load()` runs grpc_tools.protoc once per process into a temporary
directory and imports the result.

The generated modules are named `grpc.testing.*_pb2` after the proto paths, which would collide
with the installed `grpc` package; the temporary `grpc/` folder is therefore appended to
`grpc.__path__`, so `grpc.testing` resolves to the generated code while `grpc` itself stays the
real library.
"""

from __future__ import annotations

import atexit
import importlib
import os
import shutil
import sys
import tempfile
import types
from pathlib import Path

from paths import REPO_ROOT

PROTO_FILES = ("grpc/testing/empty.proto", "grpc/testing/messages.proto", "grpc/testing/test.proto")

_loaded: types.SimpleNamespace | None = None


def proto_root() -> Path:
    """The -I directory holding grpc/testing/*.proto (env MEDEXPRESS_PROTO_ROOT overrides)."""
    override = os.environ.get("MEDEXPRESS_PROTO_ROOT")
    return Path(override) if override else REPO_ROOT / "Protos"


def missing_protos() -> list[str]:
    """The interop proto files that do not exist under proto_root()."""
    root = proto_root()
    return [str(root / name) for name in PROTO_FILES if not (root / name).is_file()]


def load() -> types.SimpleNamespace:
    """Generates (once) and imports the interop stubs: empty_pb2, messages_pb2, test_pb2, test_pb2_grpc."""
    global _loaded
    if _loaded is not None:
        return _loaded

    missing = missing_protos()
    if missing:
        raise FileNotFoundError("interop protos not found: " + ", ".join(missing))

    from grpc_tools import protoc  # imported late: only needed when generating

    out_dir = Path(tempfile.mkdtemp(prefix="medexpress-interop-stubs-"))
    atexit.register(shutil.rmtree, out_dir, True)
    root = proto_root()
    well_known = Path(protoc.__file__).parent / "_proto"
    args = [
        "grpc_tools.protoc",
        f"-I{root}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *[str(root / name) for name in PROTO_FILES],
    ]
    if protoc.main(args) != 0:
        raise RuntimeError("grpc_tools.protoc failed on " + " ".join(args[1:]))

    import grpc

    generated_grpc = str(out_dir / "grpc")
    if generated_grpc not in grpc.__path__:
        grpc.__path__.append(generated_grpc)
    importlib.invalidate_caches()

    _loaded = types.SimpleNamespace(
        empty_pb2=importlib.import_module("grpc.testing.empty_pb2"),
        messages_pb2=importlib.import_module("grpc.testing.messages_pb2"),
        test_pb2=importlib.import_module("grpc.testing.test_pb2"),
        test_pb2_grpc=importlib.import_module("grpc.testing.test_pb2_grpc"),
        out_dir=out_dir,
    )
    return _loaded


if __name__ == "__main__":
    stubs = load()
    print(stubs.out_dir, file=sys.stderr)
