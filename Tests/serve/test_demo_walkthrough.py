"""`medexpress demo` end to end: the user journeys walked by the Swift client against `serve --demo`.

A data directory from `scripts/demo-data.sh` (demo staff, the pharmacy system and the demo courier),
`serve --demo` mailing through the SMTP stand-in, then `medexpress demo`: a new customer consults,
checks out with LATESTBF26, the demo prescriber approves, the demo pharmacist dispenses and ships,
the demo courier delivers, the customer's WatchOrder stream ends at DELIVERED and they leave
feedback. Every step is printed; the customer's emails (confirmation, approval, dispatch with the
tracking link, delivery) reach the SMTP server.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import subprocess
import sys
import time

import pytest

import targets
from paths import REPO_ROOT
from test_serve import start_serve, stop_cleanly

DEMO_TIMEOUT_SECONDS = 180
MAIL_WAIT_SECONDS = 10.0

# What the demo must say it did, in order.
STEPS = [
    r"registered customer cus_\S+ <",
    r"browsed treatments",
    r"opened Erectile dysfunction",
    r"delivery options: .*Royal Mail 1st Class £2\.90",
    r"started consultation con_\S+",
    r"answered nitrates \(safety question\): yes",
    r"changed the safety answer nitrates from yes to no \[event \d+, changed: true\]",
    r"submitted consultation con_\S+ \(SUBMITTED\).*safety_answer_changed",
    r"offered: Sildenafil",
    r"quote for \S+ by royal-mail-1st-class with LATESTBF26: .*Royal Mail 1st Class £2\.90; total £\d+\.\d\d",
    r"checked out: order ord_\S+, PENDING_CLINICAL_APPROVAL, payment AUTHORIZED",
    r"\[watch\] order ord_\S+: PENDING_CLINICAL_APPROVAL .*as the watch began",
    r"signed in as demo-prescriber .*review queue holds",
    r"read case ord_\S+: .*changed answers: nitrates \(safety\): yes → no \[changed\]",
    r"approved: prescription rx_\S+ .*signed \(Ed25519\)",
    r"signed in as demo-pharmacist and received prescription rx_\S+ .*signature verified by the server: yes; "
    r"checked here with the prescriber's public key: valid",
    r"started dispensing ord_\S+: DISPENSING",
    r"scanned \d{13,14}: matches the prescription",
    r"dispensed; POM register entry \S+: supplied",
    r"shipment shp_\S+ booked .*tracking number [A-Z]{2}\d{9}GB, https://www\.royalmail\.com/",
    r"courier demo-courier reported EVOAC .*order IN_TRANSIT",
    r"courier demo-courier reported EVGPD .*order OUT_FOR_DELIVERY",
    r"courier demo-courier reported EVKSP .*order DELIVERED",
    r"the WatchOrder stream ended at DELIVERED after \d+ updates: PENDING_CLINICAL_APPROVAL → APPROVED → DISPENSING → "
    r"DISPATCHED → IN_TRANSIT → OUT_FOR_DELIVERY → DELIVERED",
    r"feedback on ord_\S+: 5/5",
    r"demo complete",
]


class SMTPStandIn:
    """Tests/standins/smtp_standin.py on loopback, recording into record_dir; exits when its stdin closes."""

    def __init__(self, record_dir) -> None:
        self.record_dir = record_dir
        record_dir.mkdir()
        self.process = subprocess.Popen(
            [sys.executable, str(REPO_ROOT / "Tests" / "standins" / "smtp_standin.py"), "--record-dir", str(record_dir)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        line = self.process.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"the SMTP stand-in printed no port: {line!r}\n{self.process.stderr.read()}")
        self.port = int(line)

    def messages(self) -> list[dict]:
        found = []
        for path in sorted(self.record_dir.glob("session-*.json")):
            found.extend(json.loads(path.read_text())["messages"])
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


@pytest.fixture
def smtp(tmp_path):
    standin = SMTPStandIn(tmp_path / "smtp-record")
    yield standin
    standin.stop()


def received_by(smtp: SMTPStandIn, address: str, order_id: str, expected: dict[str, str]) -> dict[str, email.message.EmailMessage]:
    """The customer's emails about the order, by kind (a keyword of the subject), waiting up to
    MAIL_WAIT_SECONDS for every kind expected: they leave through the outbox after the commit."""
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    while True:
        found: dict[str, email.message.EmailMessage] = {}
        for record in smtp.messages():
            if address not in [rcpt.lower() for rcpt in record["rcpt_to"]]:
                continue
            message = email.message_from_string(record["data"], policy=email.policy.default)
            subject = str(message["Subject"])
            if order_id not in subject:
                continue
            for kind, keyword in expected.items():
                if keyword in subject.lower():
                    found[kind] = message
        if len(found) == len(expected) or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_the_demo_walks_every_journey_and_the_customer_gets_each_email(tmp_path, smtp):
    binary = str(targets.require_medexpress())
    data_dir = tmp_path / "data"
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "demo-data.sh"), str(data_dir), binary], check=True,
                   capture_output=True, timeout=120)
    assert (data_dir / "service-accounts" / "demo-courier.pem").is_file(), "demo-data.sh made no demo courier"

    server = start_serve(data_dir, "--demo", "--mail", "smtp", "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp.port),
                         "--smtp-security", "none", "--mail-from", "orders@medexpress.example")
    try:
        demo = subprocess.run([binary, "demo", "--server", server.endpoint.address, "--data-dir", str(data_dir)],
                              capture_output=True, text=True, timeout=DEMO_TIMEOUT_SECONDS)
        transcript = f"--- demo stdout:\n{demo.stdout}\n--- demo stderr:\n{demo.stderr}"
        assert demo.returncode == 0, f"medexpress demo exited with {demo.returncode}\n{transcript}\n{server.output()}"

        lines = demo.stdout.splitlines()
        position = 0
        for step in STEPS:
            pattern = re.compile(step)
            index = next((i for i in range(len(lines)) if pattern.search(lines[i])), None)
            assert index is not None, f"the demo never said /{step}/\n{transcript}"
            if not step.startswith(r"\[watch\]"):
                assert index >= position, f"/{step}/ came before an earlier step\n{transcript}"
                position = index

        output = demo.stdout
        address = re.search(r"registered customer cus_\S+ <([^>]+)>", output).group(1).lower()
        order_id = re.search(r"checked out: order (ord_\S+),", output).group(1)
        tracking = re.search(r"tracking number ([A-Z]{2}\d{9}GB),", output).group(1)

        expected = {"confirmation": "confirmed", "approval": "approved", "dispatch": "on its way", "delivered": "delivered"}
        mail = received_by(smtp, address, order_id, expected)
        missing = sorted(set(expected) - set(mail))
        subjects = [email.message_from_string(m["data"], policy=email.policy.default)["Subject"] for m in smtp.messages()]
        assert not missing, f"no {', '.join(missing)} email to {address} for {order_id}; the stand-in got {subjects}\n{server.output()}"
        for kind, message in mail.items():
            assert str(message["From"]).endswith("orders@medexpress.example>") or str(message["From"]) == "orders@medexpress.example", \
                f"{kind} email from {message['From']}"
        dispatch = mail["dispatch"].get_body(("plain", "html")).get_content()
        assert tracking in dispatch, f"the dispatch email does not give the tracking number {tracking}:\n{dispatch}"
        assert f"https://www.royalmail.com/track-your-item#/tracking-results/{tracking}" in dispatch, \
            f"the dispatch email has no royalmail.com tracking link:\n{dispatch}"
    finally:
        stop_cleanly(server)


def test_serve_demo_alone_adds_the_demo_people_and_prints_how_to_sign_in(tmp_path):
    """`serve --demo` on an empty data directory needs no script: it adds the demo staff and
    service accounts itself, prints how to sign in as each (and keeps it in DEMO.txt, mode 0600),
    and `medexpress demo` can walk the story against it. A second start adds nobody again."""
    binary = str(targets.require_medexpress())
    data_dir = tmp_path / "data"
    server = start_serve(data_dir, "--demo")
    try:
        demo = subprocess.run([binary, "demo", "--server", server.endpoint.address, "--data-dir", str(data_dir)],
                              capture_output=True, text=True, timeout=DEMO_TIMEOUT_SECONDS)
        assert demo.returncode == 0, f"medexpress demo exited with {demo.returncode}\n{demo.stdout}\n{demo.stderr}\n{server.output()}"
        assert "demo complete" in demo.stdout
    finally:
        stop_cleanly(server)
    printed = "\n".join(server.stdout_lines())
    for username in ("demo-admin", "demo-prescriber", "demo-pharmacist"):
        assert f"({username}) added" in printed, printed
        assert (data_dir / "staff" / f"{username}.pem").is_file()
    assert "otpauth://totp/MedExpress:demo-prescriber" in printed
    assert "discount code LATESTBF26" in printed
    summary = data_dir / "DEMO.txt"
    assert summary.stat().st_mode & 0o777 == 0o600
    assert "Staff password:" in summary.read_text()

    again = start_serve(data_dir, "--demo")
    stop_cleanly(again)
    assert " added" not in "\n".join(again.stdout_lines()), again.output()
