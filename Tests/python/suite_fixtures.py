"""Session fixtures shared by the suites; each suite's conftest.py imports them by name."""

from __future__ import annotations

import pytest

import interop_protos
from tls_material import TestPKI, make_test_pki


@pytest.fixture(scope="session")
def stubs():
    """The generated grpc.testing stubs (empty_pb2, messages_pb2, test_pb2, test_pb2_grpc)."""
    try:
        return interop_protos.load()
    except FileNotFoundError as error:
        pytest.fail(f"{error} (the interop protos belong under Protos/grpc/testing/)", pytrace=False)


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> TestPKI:
    """A throw-away CA and a server certificate for localhost and 127.0.0.1."""
    return make_test_pki(tmp_path_factory.mktemp("pki"))
