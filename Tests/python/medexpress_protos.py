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

PROTO_FILES = ("medexpress/v1/common.proto", "medexpress/v1/options.proto", "medexpress/v1/auth.proto",
               "medexpress/v1/admin.proto")

_loaded: types.SimpleNamespace | None = None


def load() -> types.SimpleNamespace:
    """`auth_pb2`, `auth_pb2_grpc`, `admin_pb2`, `admin_pb2_grpc`, `common_pb2` and `options_pb2` of
    medexpress.v1; `services`
    lists the descriptor of every medexpress.v1 service (for tests driven by the contract)."""
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
    _loaded = types.SimpleNamespace(
        auth_pb2=importlib.import_module("medexpress.v1.auth_pb2"),
        auth_pb2_grpc=importlib.import_module("medexpress.v1.auth_pb2_grpc"),
        common_pb2=importlib.import_module("medexpress.v1.common_pb2"),
        options_pb2=importlib.import_module("medexpress.v1.options_pb2"),
        admin_pb2=importlib.import_module("medexpress.v1.admin_pb2"),
        admin_pb2_grpc=importlib.import_module("medexpress.v1.admin_pb2_grpc"),
    )
    _loaded.services = [service for module in (_loaded.auth_pb2, _loaded.admin_pb2)
                        for service in module.DESCRIPTOR.services_by_name.values()]
    return _loaded
