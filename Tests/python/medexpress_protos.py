"""Python stubs for the medexpress.v1 protos, generated with grpc_tools.protoc on first use into a
temporary directory (nothing generated is committed), for stock-grpcio tests of the product API.
"""

from __future__ import annotations

import atexit
import importlib
import shutil
import sys
import tempfile
import types

from paths import REPO_ROOT

# Every file of the contract: a new service is covered by the contract-driven tests on arrival.
PROTO_FILES = tuple(sorted(str(path.relative_to(REPO_ROOT / "Protos"))
                           for path in (REPO_ROOT / "Protos" / "medexpress" / "v1").glob("*.proto")))

_loaded: types.SimpleNamespace | None = None


def load() -> types.SimpleNamespace:
    """`<file>_pb2` and `<file>_pb2_grpc` for every medexpress.v1 file (`auth_pb2`, `order_pb2_grpc`,
    …); `services` lists the descriptor of every medexpress.v1 service (for tests driven by the
    contract)."""
    global _loaded
    if _loaded is not None:
        return _loaded
    from grpc_tools import protoc
    import grpc_tools

    out = tempfile.mkdtemp(prefix="medexpress-protos-")
    atexit.register(shutil.rmtree, out, True)
    well_known = str(importlib.resources.files(grpc_tools) / "_proto")
    arguments = ["protoc", f"-I{REPO_ROOT / 'Protos'}", f"-I{well_known}",
                 f"--python_out={out}", f"--grpc_python_out={out}", *PROTO_FILES]
    if protoc.main(arguments) != 0:
        raise RuntimeError(f"grpc_tools.protoc failed for {PROTO_FILES}")
    sys.path.insert(0, out)
    _loaded = types.SimpleNamespace()
    messages = []
    for proto in PROTO_FILES:
        stem = proto.removeprefix("medexpress/v1/").removesuffix(".proto")
        module = importlib.import_module(f"medexpress.v1.{stem}_pb2")
        messages.append(module)
        setattr(_loaded, f"{stem}_pb2", module)
        setattr(_loaded, f"{stem}_pb2_grpc", importlib.import_module(f"medexpress.v1.{stem}_pb2_grpc"))
    _loaded.services = [service for module in messages for service in module.DESCRIPTOR.services_by_name.values()]
    return _loaded
