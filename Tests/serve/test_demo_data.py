"""`make run`'s demo data: on an empty data directory `scripts/demo-data.sh` adds demo staff and a
pharmacy-system account whose credentials (kept in DIR/DEMO.txt, mode 0600) sign in; run again,
it leaves the data alone.
"""

from __future__ import annotations

import subprocess
import urllib.parse

import medexpress_protos
import targets
from paths import REPO_ROOT
from test_serve import start_serve, stop_cleanly
from test_staff_sign_in import mtls_channel, sign_in


def test_demo_staff_can_sign_in(tmp_path):
    binary = str(targets.require_medexpress())
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "demo-data.sh"), str(tmp_path), binary], check=True,
                   capture_output=True, timeout=120)
    summary = tmp_path / "DEMO.txt"
    assert summary.stat().st_mode & 0o077 == 0
    text = summary.read_text()
    uri = next(line for line in text.splitlines() if line.startswith("TOTP: otpauth://totp/MedExpress:demo-admin?"))
    secret = urllib.parse.parse_qs(urllib.parse.urlparse(uri.removeprefix("TOTP: ")).query)["secret"][0]
    before = (tmp_path / "medexpress.sqlite3").stat().st_mtime_ns
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "demo-data.sh"), str(tmp_path), binary], check=True, timeout=60)
    assert (tmp_path / "medexpress.sqlite3").stat().st_mtime_ns == before, "a second run changed the data"

    server = start_serve(tmp_path)
    protos = medexpress_protos.load()
    try:
        with mtls_channel(server, tmp_path, "demo-admin") as channel:
            session = sign_in(protos, protos.auth_pb2_grpc.AuthServiceStub(channel), "demo-admin", "demo staff password", secret)
            assert session.role == protos.common_pb2.ADMIN
    finally:
        stop_cleanly(server)
