"""`medexpress ctl`: the staff command line, a ClientKit client, against `serve --demo`.

`serve --demo` on a fresh data directory adds the demo staff (DEMO.txt has the password and each
one's TOTP URI); `medexpress demo` walks one order from checkout to delivery. Then the demo admin
lists and shows orders, reads the report as CSV and watches the dashboard (stdout a pipe: plain
lines), the demo prescriber reads the review queue, and a wrong TOTP code is refused with a
message a person can act on. Each TOTP code signs in once, so every run takes a fresh step.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import signal
import struct
import subprocess
import time
import urllib.parse

import pytest

import targets
from test_serve import start_serve, stop_cleanly

CTL_TIMEOUT_SECONDS = 60
DEMO_TIMEOUT_SECONDS = 180
WATCH_SECONDS = 2.0
STEP_SECONDS = 30


def totp_at_step(secret_base32: str, step: int) -> str:
    """RFC 6238 with SHA-1, 30-second steps, 6 digits."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


class Authenticator:
    """One staff member's authenticator app: a code for a step never used before, within the one
    step of drift the server allows, waiting for the next step when those are spent."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.last_step: int | None = None

    def code(self) -> str:
        while True:
            now = time.time()
            current = int(now // STEP_SECONDS)
            # The step before is still accepted, but only early enough that the run ends within drift.
            earliest = current - 1 if now % STEP_SECONDS < 15 else current
            step = earliest if self.last_step is None else max(earliest, self.last_step + 1)
            if step <= current + 1:
                self.last_step = step
                return totp_at_step(self.secret, step)
            time.sleep(STEP_SECONDS - now % STEP_SECONDS + 0.2)


class Demo:
    """The server, its data directory and how each demo member of staff signs in."""

    def __init__(self, server, data_dir) -> None:
        self.server = server
        self.data_dir = data_dir
        summary = (data_dir / "DEMO.txt").read_text()
        self.password = re.search(r"Staff password: (\S.*)", summary).group(1).strip()
        self.authenticators: dict[str, Authenticator] = {}
        for uri in re.findall(r"otpauth://totp/\S+", summary):
            parsed = urllib.parse.urlparse(uri)
            account = urllib.parse.unquote(parsed.path.lstrip("/")).split(":")[-1]
            secret = urllib.parse.parse_qs(parsed.query)["secret"][0]
            self.authenticators[account] = Authenticator(secret)

    def argv(self, user: str, *words: str, totp_code: str | None = None) -> list[str]:
        staff = self.data_dir / "staff"
        return [str(targets.require_medexpress()), "ctl", *words,
                "--server", self.server.endpoint.address, "--ca", str(self.data_dir / "tls" / "ca.pem"),
                "--user", user, "--cert", str(staff / f"{user}.pem"), "--key", str(staff / f"{user}.key"),
                "--totp-code", totp_code or self.authenticators[user].code()]

    def env(self) -> dict[str, str]:
        return {**os.environ, "MEDEXPRESS_STAFF_PASSWORD": self.password}

    def ctl(self, user: str, *words: str, totp_code: str | None = None) -> subprocess.CompletedProcess:
        # stdin and the controlling terminal are out of reach: ctl must not wait for a person.
        return subprocess.run(self.argv(user, *words, totp_code=totp_code), env=self.env(), stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=CTL_TIMEOUT_SECONDS, start_new_session=True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    binary = str(targets.require_medexpress())
    data_dir = tmp_path_factory.mktemp("medexpress-ctl") / "data"
    server = start_serve(data_dir, "--demo")
    try:
        walked = subprocess.run([binary, "demo", "--server", server.endpoint.address, "--data-dir", str(data_dir)],
                                capture_output=True, text=True, timeout=DEMO_TIMEOUT_SECONDS)
        assert walked.returncode == 0, f"medexpress demo failed\n{walked.stdout}\n{walked.stderr}\n{server.output()}"
        found = Demo(server, data_dir)
        # The demo signed its prescriber and pharmacist in with this step's codes.
        for name in ("demo-prescriber", "demo-pharmacist"):
            found.authenticators[name].last_step = int(time.time() // STEP_SECONDS)
        found.order_id = re.search(r"checked out: order (ord_\S+),", walked.stdout).group(1)
        yield found
    finally:
        stop_cleanly(server)


def succeeded(run: subprocess.CompletedProcess) -> str:
    assert run.returncode == 0, f"ctl exited with {run.returncode}\n--- stdout:\n{run.stdout}\n--- stderr:\n{run.stderr}"
    return run.stdout


def test_the_admin_lists_orders_as_a_table(demo):
    output = succeeded(demo.ctl("demo-admin", "orders", "list"))
    lines = output.splitlines()
    assert re.match(r"ORDER\s+PLACED\s+STATUS\s+PAYMENT\s+TREATMENT\s+PRODUCT\s+TOTAL\s+FLAGS$", lines[0]), output
    row = next((line for line in lines if line.startswith(demo.order_id)), None)
    assert row is not None, output
    assert re.search(r"\bDELIVERED\s+CAPTURED\s+erectile-dysfunction\s+\S+\s+£\d+\.\d\d\s+\d+$", row), row
    assert "1 order(s)" in output


def test_the_admin_shows_one_order_with_its_audit_trail(demo):
    output = succeeded(demo.ctl("demo-admin", "orders", "show", demo.order_id))
    assert re.search(rf"^order\s+{demo.order_id}$", output, re.M), output
    assert re.search(r"^status\s+DELIVERED$", output, re.M), output
    assert re.search(r"^customer\s+\S.* <demo-[0-9a-f]+@example\.org>", output, re.M), output
    assert re.search(r"^prescription\s+rx_\S+$", output, re.M), output
    assert "status history" in output and "PENDING_CLINICAL_APPROVAL" in output
    assert "audit trail" in output, output
    assert re.search(r"^\d+\s+\S+ \S+\s+stf_\S+\s+PRESCRIBER\s+prescription\.issued\s+ok$", output, re.M), output


def test_the_admin_reads_the_report_as_csv(demo):
    today = time.strftime("%Y-%m-%d", time.gmtime())
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86_400))
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86_400))
    output = succeeded(demo.ctl("demo-admin", "reports", "--from", yesterday, "--to", tomorrow, "--csv"))
    lines = output.splitlines()
    assert lines[0] == "section,key,value", output
    assert "orders,orders,1" in lines, output
    assert "orders_by_treatment,erectile-dysfunction,1" in lines, output
    assert "delivery,delivered,1" in lines, output
    assert "feedback,responses,1" in lines and "feedback,rating 5,1" in lines, output
    assert any(line.startswith(f"orders_by_day,{today},") or line.startswith("orders_by_day,") for line in lines), output


def test_the_admin_watches_the_dashboard_as_plain_lines_when_not_on_a_terminal(demo):
    process = subprocess.Popen(demo.argv("demo-admin", "orders", "watch"), env=demo.env(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        time.sleep(WATCH_SECONDS)
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
    assert process.returncode == 0, f"watch exited with {process.returncode}\n{stdout}\n{stderr}"
    assert "\x1b[" not in stdout, "ANSI escapes written to a pipe"
    assert re.search(r"^snapshot at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ: .*DELIVERED 1", stdout, re.M), stdout


def test_the_prescriber_reads_the_review_queue(demo):
    output = succeeded(demo.ctl("demo-prescriber", "review"))
    lines = output.splitlines()
    assert re.match(r"ORDER\s+PLACED\s+STATUS\s+TREATMENT\s+FLAGS\s+WAITING FOR$", lines[0]), output
    # The demo's only order was approved and delivered: nothing is waiting.
    assert demo.order_id not in output
    assert lines[-1] == "0 order(s) awaiting review", output


def test_the_pharmacist_cannot_list_orders(demo):
    run = demo.ctl("demo-pharmacist", "orders", "list")
    assert run.returncode == 1, run
    assert "your role cannot do this (needs ADMIN)" in run.stderr, run.stderr


def test_a_wrong_totp_code_is_refused_with_a_clear_message(demo):
    authenticator = demo.authenticators["demo-admin"]
    wrong = totp_at_step(authenticator.secret, int(time.time() // STEP_SECONDS) + 1000)
    run = demo.ctl("demo-admin", "orders", "list", totp_code=wrong)
    assert run.returncode == 1, run
    assert "sign-in refused: check the password, the TOTP code and that --cert is yours" in run.stderr, run.stderr
    assert run.stdout == ""


def test_the_prescriber_approves_and_the_pharmacist_dispenses_from_the_command_line(demo):
    """An order waiting for review: the demo prescriber reads the case and approves it with
    `ctl review`, the demo pharmacist dispenses it with `ctl dispense` (the barcodes given with
    --scans, a wrong pack first), which writes the POM register entry and books the courier."""
    import grpc

    import medexpress_protos
    from journey_client import place_order

    protos = medexpress_protos.load()
    root = (demo.data_dir / "tls" / "ca.pem").read_bytes()
    with grpc.secure_channel(demo.server.endpoint.address, grpc.ssl_channel_credentials(root_certificates=root),
                             options=(("grpc.ssl_target_name_override", "localhost"),)) as channel:
        order = place_order(protos, channel, "ctl")
        treatment = protos.catalog_pb2_grpc.CatalogServiceStub(channel).GetTreatment(
            protos.catalog_pb2.GetTreatmentRequest(treatment_id=order.treatment_id), timeout=30)
    packs = {product.id: product.gtin for medication in treatment.medications for product in medication.products}
    right = packs[order.item.product_id]
    wrong = next(gtin for product_id, gtin in packs.items() if product_id != order.item.product_id)

    assert order.id in succeeded(demo.ctl("demo-prescriber", "review"))
    case = succeeded(demo.ctl("demo-prescriber", "review", order.id))
    assert order.id in case, case
    approved = succeeded(demo.ctl("demo-prescriber", "review", order.id, "approve"))
    assert "APPROVED" in approved, approved

    dispensed = succeeded(demo.ctl("demo-pharmacist", "dispense", order.id, "--scans", f"{wrong},{right}"))
    assert "signature verified by the server: yes" in dispensed, dispensed
    assert f"{wrong} does NOT match" in dispensed, dispensed
    assert f"{right} matches (1/1)" in dispensed, dispensed
    assert re.search(r"POM register entry pom_\S+: supplied", dispensed), dispensed
    assert re.search(r"tracking number [A-Z]{2}\d{9}GB", dispensed), dispensed
    shown = succeeded(demo.ctl("demo-admin", "orders", "show", order.id))
    assert "DISPATCHED" in shown, shown


def test_the_support_team_works_tickets_from_the_command_line(demo, monkeypatch):
    """A customer opens a ticket about their order (grpcio, as the website does); the demo admin
    finds it with `ctl tickets`, reads it, assigns it to themselves, replies with the
    delivery_delay template (rendered with the order) and resolves it."""
    import uuid

    import grpc

    import journey_client
    import medexpress_protos

    protos = medexpress_protos.load()
    root = (demo.data_dir / "tls" / "ca.pem").read_bytes()
    known = uuid.uuid4()
    # place_order names the customer with uuid4(): fixed here so the test can sign in as them.
    monkeypatch.setattr(journey_client.uuid, "uuid4", lambda: known)
    with grpc.secure_channel(demo.server.endpoint.address, grpc.ssl_channel_credentials(root_certificates=root),
                             options=(("grpc.ssl_target_name_override", "localhost"),)) as channel:
        order = journey_client.place_order(protos, channel, "tickets")
        session = protos.auth_pb2_grpc.AuthServiceStub(channel).Login(protos.auth_pb2.LoginRequest(
            email=f"tickets-{known.hex[:8]}@example.org", password="customer password 1"), timeout=30)
        bearer = (("authorization", f"Bearer {session.access_token}"),)
        ticket = protos.support_pb2_grpc.SupportServiceStub(channel).OpenTicket(protos.support_pb2.OpenTicketRequest(
            request_id=f"ticket-{known.hex}", category=protos.support_pb2.TICKET_DELIVERY, subject="Where is my order?",
            message="It has not arrived yet, can you check?", order_id=order.id), metadata=bearer, timeout=30)
    assert ticket.id.startswith("tkt_"), ticket

    listed = succeeded(demo.ctl("demo-admin", "tickets", "--state", "open"))
    lines = listed.splitlines()
    assert re.match(r"TICKET\s+OPENED\s+STATE\s+CATEGORY\s+SUBJECT\s+ASSIGNED TO$", lines[0]), listed
    row = next((line for line in lines if line.startswith(ticket.id)), None)
    assert row is not None, listed
    assert re.search(r"\bopen\s+delivery\s+Where is my order\?\s+-$", row), row

    shown = succeeded(demo.ctl("demo-admin", "tickets", "show", ticket.id))
    assert re.search(rf"^ticket\s+{ticket.id}$", shown, re.M), shown
    assert re.search(rf"^order\s+{order.id}$", shown, re.M), shown
    assert re.search(r"^#1 \S+ \S+ CUSTOMER cus_\S+:$", shown, re.M), shown
    assert "    It has not arrived yet, can you check?" in shown, shown

    assigned = succeeded(demo.ctl("demo-admin", "tickets", "assign", ticket.id))
    staff_id = re.search(rf"assigned {ticket.id} to (stf_\S+): ticket open", assigned).group(1)
    mine = succeeded(demo.ctl("demo-admin", "tickets", "--mine", "--csv"))
    assert mine.splitlines()[0] == "TICKET,OPENED,STATE,CATEGORY,SUBJECT,ASSIGNED TO", mine
    assert any(line.startswith(f"{ticket.id},") and line.endswith(f",{staff_id}") for line in mine.splitlines()), mine

    replied = succeeded(demo.ctl("demo-admin", "tickets", "reply", ticket.id, "--template", "delivery_delay",
                                 "--await-customer"))
    assert f"replied to {ticket.id} (emailed to the customer): ticket pending" in replied, replied
    assert f"[template delivery_delay] We are sorry that your order {order.id} is taking longer" in replied, replied

    escalated = succeeded(demo.ctl("demo-admin", "tickets", "escalate", ticket.id, "--to", "pharmacy",
                                   "--note", "Has this one left the pharmacy?"))
    assert f"escalated {ticket.id} to the pharmacy: ticket escalated" in escalated, escalated
    shown = succeeded(demo.ctl("demo-admin", "tickets", "show", ticket.id))
    assert re.search(r"^#\d+ \S+ \S+ ADMIN stf_\S+ \[template delivery_delay\]:$", shown, re.M), shown
    assert re.search(r"^#\d+ \S+ \S+ ADMIN stf_\S+ \[internal\]:\n    Has this one left the pharmacy\?$", shown, re.M), shown

    resolved = succeeded(demo.ctl("demo-admin", "tickets", "resolve", ticket.id, "--resolution", "Dispatched; tracking sent"))
    assert re.search(rf"^resolved {ticket.id}: ticket resolved at \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ$", resolved, re.M), resolved
    assert ticket.id in succeeded(demo.ctl("demo-admin", "tickets", "--state", "resolved"))
    assert ticket.id not in succeeded(demo.ctl("demo-admin", "tickets", "--state", "open,pending"))

    # A usage error stops before signing in, so no authenticator step is spent on it.
    refused = demo.ctl("demo-admin", "tickets", "reply", ticket.id, totp_code="000000")
    assert refused.returncode != 0 and "--text T or --template NAME" in refused.stderr, refused
