"""The customer journey on PostgreSQL with two `medexpress serve` processes (the issue's proof):
approvals racing for the last units of stock never oversell, and a WatchOrder opened on one
process sees every change made through the other.

Both servers share one data directory (one development CA, so one client certificate works on
either), one master key and one PostgreSQL schema, and listen on different ports with TLS. Staff
sign in once, each on one instance, and use their token on both; customers alternate instances
call by call.

PostgreSQL: MEDEXPRESS_TEST_POSTGRES_URL when set (scripts/test.sh exports it), else a
throw-away cluster from scripts/postgres.sh; skipped only when neither is possible (no
PostgreSQL binaries).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import grpc
import pytest

import medexpress_protos
from journey_client import answer_for
import targets
from paths import REPO_ROOT
from server_process import ServerProcess
from test_staff_sign_in import PASSWORD, mtls_channel, sign_in

TIMEOUT = 60.0
# From opening the WatchOrder on A to the stream ending by itself at DELIVERED.
WATCH_SECONDS = 20.0
# How long A gets to report one change made through B (it polls every 200 ms).
STEP_SECONDS = 5.0
# How long the approval gets to settle (its payment capture) before dispensing starts.
SETTLE_SECONDS = 3.0
TREATMENT = "erectile-dysfunction"
DELIVERY = "royal-mail-1st-class"
CARD = "pm_card_visa"
CUSTOMERS = 6  # racing for
UNITS = 3  # packs on the shelf
MASTER_KEY = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
PRESCRIBERS = ("priya", "piotr")
PHARMACIST = "phoebe"
ADMIN = "twin-admin"
COURIER = "courier-twin"


def _postgres_binaries() -> bool:
    """What scripts/postgres.sh needs to start a cluster."""
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb")) and shutil.which("psql") is not None


@pytest.fixture(scope="module")
def postgres_url():
    """The suite's PostgreSQL, or a throw-away cluster of our own."""
    url = os.environ.get("MEDEXPRESS_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if not _postgres_binaries():
        pytest.skip("no MEDEXPRESS_TEST_POSTGRES_URL and no PostgreSQL binaries to start one (apt-get install postgresql)")
    started = subprocess.run(["bash", str(REPO_ROOT / "scripts" / "postgres.sh"), "start"], capture_output=True, text=True,
                             timeout=120)
    assert started.returncode == 0, f"scripts/postgres.sh start failed:\n{started.stderr}"
    exports = {}
    for line in started.stdout.splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            exports[name] = shlex.split(value)[0]
    try:
        yield exports["MEDEXPRESS_TEST_POSTGRES_URL"]
    finally:
        subprocess.run(["bash", str(REPO_ROOT / "scripts" / "postgres.sh"), "stop", exports["MEDEXPRESS_TEST_POSTGRES_DIR"]],
                       capture_output=True, timeout=120)


def _run(argv: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, f"{' '.join(argv[1:3])} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _add_staff(binary: str, data_dir: Path, database: str, username: str, role: str, registration: str | None = None) -> str:
    """`medexpress staff add` into the shared database; returns the TOTP secret."""
    prescriber = ["--registering-body", "GMC", "--registration-number", registration, "--profession", "GP",
                  "--address", "1 Surgery Row", "--town", "Bath", "--postcode", "BA1 1AA"] if registration else []
    out = _run([binary, "staff", "add", "--data-dir", str(data_dir), "--database", database, "--role", role, "--username", username,
                "--given-name", username.title(), "--family-name", "Twin", "--email", f"{username}@medexpress.example", *prescriber],
               {"MEDEXPRESS_MASTER_KEY": MASTER_KEY, "MEDEXPRESS_STAFF_PASSWORD": PASSWORD})
    uri = next(line for line in out.splitlines() if line.startswith("TOTP: ")).removeprefix("TOTP: ")
    return urllib.parse.parse_qs(urllib.parse.urlparse(uri).query)["secret"][0]


class Deployment:
    """Two servers on one database, and signed-in staff and courier channels to each."""

    def __init__(self, protos, data_dir: Path, servers: list[ServerProcess]) -> None:
        self.protos = protos
        self.data_dir = data_dir
        self.a, self.b = servers
        self.root = (data_dir / "tls" / "ca.pem").read_bytes()
        self.channels: dict[tuple, grpc.Channel] = {}
        self.bearers: dict[str, tuple] = {}

    def channel(self, server: ServerProcess, username: str | None = None, account: str | None = None) -> grpc.Channel:
        """A channel to `server` as `username` (their client certificate), as a service account, or
        as anyone (server-verified TLS only); one per kind and server."""
        key = (server.endpoint.address, username, account)
        if key in self.channels:
            return self.channels[key]
        if username:
            channel = mtls_channel(server, self.data_dir, username)
        elif account:
            folder = self.data_dir / "service-accounts"
            channel = grpc.secure_channel(server.endpoint.address, grpc.ssl_channel_credentials(
                root_certificates=self.root, private_key=(folder / f"{account}.key").read_bytes(),
                certificate_chain=(folder / f"{account}.pem").read_bytes()))
        else:
            channel = grpc.secure_channel(server.endpoint.address, grpc.ssl_channel_credentials(root_certificates=self.root))
        self.channels[key] = channel
        return channel

    def output(self) -> str:
        return f"{self.a.output()}\n{self.b.output()}"

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()


@pytest.fixture(scope="module")
def deployment(postgres_url, tmp_path_factory):
    protos = medexpress_protos.load()
    binary = str(targets.require_medexpress())
    schema = f"journey_{uuid.uuid4().hex}"
    subprocess.run(["psql", postgres_url, "-qc", f"CREATE SCHEMA {schema}"], check=True, capture_output=True, timeout=TIMEOUT)
    separator = "&" if "?" in postgres_url else "?"
    database = f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
    data_dir = tmp_path_factory.mktemp("medexpress-two-instances")
    servers: list[ServerProcess] = []
    deployment = None
    try:
        secrets = {name: _add_staff(binary, data_dir, database, name, "PRESCRIBER", registration=f"700000{index}")
                   for index, name in enumerate(PRESCRIBERS, start=1)}
        secrets[PHARMACIST] = _add_staff(binary, data_dir, database, PHARMACIST, "PHARMACIST")
        secrets[ADMIN] = _add_staff(binary, data_dir, database, ADMIN, "ADMIN")
        _run([binary, "service-account", "add", "--data-dir", str(data_dir), "--database", database, "--name", COURIER,
              "--role", "COURIER"], {"MEDEXPRESS_MASTER_KEY": MASTER_KEY})
        # A first: it makes the development CA and server certificate B then serves as well.
        for name in ("a", "b"):
            servers.append(ServerProcess(
                [binary, "serve", "--data-dir", str(data_dir), "--listen", "127.0.0.1:0", "--database", database],
                ready_prefix="medexpress", name=f"instance {name}", env={"MEDEXPRESS_MASTER_KEY": MASTER_KEY}))
        assert servers[0].endpoint.port != servers[1].endpoint.port
        deployment = Deployment(protos, data_dir, servers)
        # Each member of staff signs in once, on one instance; the token serves on both.
        for username, server in ((PRESCRIBERS[0], servers[0]), (PRESCRIBERS[1], servers[1]), (PHARMACIST, servers[1]),
                                 (ADMIN, servers[0])):
            stub = protos.auth_pb2_grpc.AuthServiceStub(deployment.channel(server, username))
            session = sign_in(protos, stub, username, PASSWORD, secrets[username])
            deployment.bearers[username] = (("authorization", f"Bearer {session.access_token}"),)
        yield deployment
    finally:
        if deployment:
            deployment.close()
        codes = []
        for server in servers:
            try:
                codes.append(server.stop())
            except RuntimeError as error:  # outlived SIGTERM: already killed
                codes.append(str(error))
            finally:
                server.kill()
        subprocess.run(["psql", postgres_url, "-qc", f"DROP SCHEMA IF EXISTS {schema} CASCADE"], capture_output=True, timeout=TIMEOUT)
    assert all(code == 0 for code in codes), f"a server did not exit cleanly on SIGTERM: {codes}"


def place_order(deployment: Deployment, tag: str, first: int, product: str | None = None) -> tuple[str, str, tuple]:
    """A new customer registers, consults and checks out, alternating instances call by call
    (starting with instance `first`); returns (order id, product id, the customer's bearer)."""
    protos = deployment.protos
    common = protos.common_pb2
    channels = [deployment.channel(deployment.a), deployment.channel(deployment.b)]
    calls = iter(range(first, first + 1000))

    def next_channel() -> grpc.Channel:
        return channels[next(calls) % 2]

    email = f"{tag}-{uuid.uuid4().hex[:8]}@example.org"
    protos.auth_pb2_grpc.AuthServiceStub(next_channel()).RegisterCustomer(protos.auth_pb2.RegisterCustomerRequest(
        request_id=f"register-{tag}", email=email, password="twin customer password", given_name="Twin",
        family_name=tag.title(), date_of_birth=common.CalendarDate(year=1980, month=3, day=3), phone="+447700900555",
        address=common.PostalAddress(lines=[f"{tag.title()} House, 2 Replica Road"], town="Leeds", postcode="LS2 2BB")), timeout=TIMEOUT)
    session = protos.auth_pb2_grpc.AuthServiceStub(next_channel()).Login(
        protos.auth_pb2.LoginRequest(email=email, password="twin customer password"), timeout=TIMEOUT)
    bearer = (("authorization", f"Bearer {session.access_token}"),)

    treatment = protos.catalog_pb2_grpc.CatalogServiceStub(next_channel()).GetTreatment(
        protos.catalog_pb2.GetTreatmentRequest(treatment_id=TREATMENT), timeout=TIMEOUT)
    consultations = lambda: protos.consultation_pb2_grpc.ConsultationServiceStub(next_channel())  # noqa: E731
    consultation = consultations().StartConsultation(protos.consultation_pb2.StartConsultationRequest(
        request_id=f"start-{tag}", treatment_id=TREATMENT), metadata=bearer, timeout=TIMEOUT)
    for question in treatment.questionnaire.questions:
        consultations().RecordAnswer(protos.consultation_pb2.RecordAnswerRequest(
            request_id=f"answer-{tag}-{question.id}", consultation_id=consultation.id, question_id=question.id,
            answer=answer_for(protos, question)), metadata=bearer, timeout=TIMEOUT)
    submitted = consultations().SubmitConsultation(protos.consultation_pb2.SubmitConsultationRequest(
        request_id=f"submit-{tag}", consultation_id=consultation.id), metadata=bearer, timeout=TIMEOUT)
    offered = [product_id for medication in submitted.assessment.offered for product_id in medication.product_ids]
    assert offered, f"nothing offered to {tag}: {submitted.assessment}"
    product = product or offered[0]
    assert product in offered, f"{product} not offered to {tag}: {offered}"
    order = protos.order_pb2_grpc.OrderServiceStub(next_channel()).Checkout(protos.order_pb2.CheckoutRequest(
        request_id=f"checkout-{tag}", consultation_id=consultation.id, product_id=product, delivery_option_id=DELIVERY,
        payment_method_token=CARD), metadata=bearer, timeout=TIMEOUT)
    assert order.status == protos.common_pb2.PENDING_CLINICAL_APPROVAL, order
    return order.id, product, bearer


def inventory_item(deployment: Deployment, server: ServerProcess, product: str):
    """The product's stock as the pharmacist sees it through `server`, and every item."""
    pharmacy = deployment.protos.pharmacy_pb2_grpc.PharmacyServiceStub(deployment.channel(server, PHARMACIST))
    items = pharmacy.ListInventory(deployment.protos.pharmacy_pb2.ListInventoryRequest(), metadata=deployment.bearers[PHARMACIST],
                                   timeout=TIMEOUT).items
    return next((item for item in items if item.product_id == product), None), items


def test_approvals_racing_for_the_last_units_never_oversell(deployment):
    protos = deployment.protos
    orders = [place_order(deployment, f"racer{index}", first=index) for index in range(CUSTOMERS)]
    product = orders[0][1]
    assert all(placed[1] == product for placed in orders), [placed[1] for placed in orders]

    # Stock to exactly UNITS available: a delivery through A, a breakage through B.
    before, _ = inventory_item(deployment, deployment.a, product)
    available_before = before.available if before else 0
    reserved_before = before.reserved if before else 0
    pharmacist_a = protos.pharmacy_pb2_grpc.PharmacyServiceStub(deployment.channel(deployment.a, PHARMACIST))
    pharmacist_b = protos.pharmacy_pb2_grpc.PharmacyServiceStub(deployment.channel(deployment.b, PHARMACIST))
    pharmacist = deployment.bearers[PHARMACIST]
    pharmacist_a.ReceiveStock(protos.pharmacy_pb2.ReceiveStockRequest(
        request_id="race-delivery", product_id=product, quantity=UNITS + 2, reference="WHOLESALE-RACE-1"),
        metadata=pharmacist, timeout=TIMEOUT)
    adjusted = pharmacist_b.AdjustStock(protos.pharmacy_pb2.AdjustStockRequest(
        request_id="race-breakage", product_id=product, change=-(2 + available_before), reason="two packs broken in transit",
        low_stock_threshold=-1), metadata=pharmacist, timeout=TIMEOUT)
    assert adjusted.available == UNITS, adjusted

    # Every order approved at once: even ones by the first prescriber through A, odd ones by the
    # second through B.
    stubs = [protos.prescriber_pb2_grpc.PrescriberServiceStub(deployment.channel(server, username))
             for server, username in ((deployment.a, PRESCRIBERS[0]), (deployment.b, PRESCRIBERS[1]))]
    start = threading.Barrier(CUSTOMERS)
    outcomes: dict[str, object] = {}

    def approve(index: int, order_id: str) -> None:
        side = index % 2
        request = protos.prescriber_pb2.ApproveRequest(request_id=f"race-approve-{index}", order_id=order_id)
        try:
            start.wait(TIMEOUT)
            outcomes[order_id] = stubs[side].Approve(request, metadata=deployment.bearers[PRESCRIBERS[side]], timeout=TIMEOUT)
        except grpc.RpcError as error:
            outcomes[order_id] = error
        except Exception as error:  # noqa: BLE001 - reported below
            outcomes[order_id] = error

    threads = [threading.Thread(target=approve, args=(index, order_id)) for index, (order_id, _, _) in enumerate(orders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 2)
    assert not any(thread.is_alive() for thread in threads), "an Approve call never returned"

    def describe(outcome) -> str:
        if isinstance(outcome, grpc.RpcError):
            return f"{outcome.code().name}: {outcome.details()}"
        if isinstance(outcome, protos.prescriber_pb2.ApproveResponse):
            return f"approved {outcome.prescription.prescription.id}"
        return repr(outcome)

    summary = "\n".join(f"  {order_id} (via {'AB'[index % 2]}): {describe(outcomes.get(order_id))}"
                        for index, (order_id, _, _) in enumerate(orders))
    approved = [order_id for order_id, outcome in outcomes.items() if isinstance(outcome, protos.prescriber_pb2.ApproveResponse)]
    refused = {order_id: outcome for order_id, outcome in outcomes.items() if isinstance(outcome, grpc.RpcError)}
    assert len(outcomes) == CUSTOMERS, summary
    assert len(approved) == UNITS, f"{len(approved)} approvals for {UNITS} packs:\n{summary}\n{deployment.output()}"
    assert len(refused) == CUSTOMERS - UNITS, summary
    for order_id, error in refused.items():
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, summary
        assert "out of stock" in error.details(), summary
    for order_id in approved:
        assert outcomes[order_id].order.status == protos.common_pb2.APPROVED, outcomes[order_id].order

    # Both instances see the same stock: all of it reserved, none available, nothing negative.
    for name, server in (("A", deployment.a), ("B", deployment.b)):
        item, items = inventory_item(deployment, server, product)
        assert item is not None, f"{product} missing from ListInventory through {name}"
        assert (item.on_hand, item.reserved, item.available) == (UNITS + reserved_before, UNITS + reserved_before, 0), \
            f"through {name}: {item}\n{summary}"
        negative = [entry for entry in items if min(entry.on_hand, entry.reserved, entry.available) < 0]
        assert not negative, f"negative stock through {name}: {negative}"

    # The losers are still waiting for a prescriber, their payment only held; the winners are approved.
    for order_id, _, bearer in orders:
        for server in (deployment.a, deployment.b):
            seen = protos.order_pb2_grpc.OrderServiceStub(deployment.channel(server)).GetOrder(
                protos.order_pb2.GetOrderRequest(order_id=order_id), metadata=bearer, timeout=TIMEOUT)
            if order_id in approved:
                assert seen.status == protos.common_pb2.APPROVED, seen
            else:
                assert seen.status == protos.common_pb2.PENDING_CLINICAL_APPROVAL, seen
                assert seen.payment_status == protos.common_pb2.AUTHORIZED, seen

    # Stock cannot be taken below what is reserved, through either instance.
    for stub in (pharmacist_a, pharmacist_b):
        with pytest.raises(grpc.RpcError) as below:
            stub.AdjustStock(protos.pharmacy_pb2.AdjustStockRequest(
                request_id=f"race-shrink-{uuid.uuid4().hex[:6]}", product_id=product, change=-1, reason="count",
                low_stock_threshold=-1), metadata=pharmacist, timeout=TIMEOUT)
        assert below.value.code() == grpc.StatusCode.FAILED_PRECONDITION, below.value.details()


def test_a_watch_on_one_instance_sees_every_change_made_through_the_other(deployment):
    protos = deployment.protos
    common = protos.common_pb2
    name = common.OrderStatus.Name
    order_id, product, bearer = place_order(deployment, "watcher", first=0)
    pharmacist = deployment.bearers[PHARMACIST]
    pharmacy = protos.pharmacy_pb2_grpc.PharmacyServiceStub(deployment.channel(deployment.b, PHARMACIST))
    pharmacy.ReceiveStock(protos.pharmacy_pb2.ReceiveStockRequest(
        request_id="watch-delivery", product_id=product, quantity=1, reference="WHOLESALE-WATCH-1"),
        metadata=pharmacist, timeout=TIMEOUT)
    prescriber = protos.prescriber_pb2_grpc.PrescriberServiceStub(deployment.channel(deployment.b, PRESCRIBERS[1]))
    courier = protos.courier_pb2_grpc.CourierServiceStub(deployment.channel(deployment.b, account=COURIER))

    # The customer watches through A; a reader thread stamps each update as it arrives.
    opened = time.monotonic()
    watch = protos.order_pb2_grpc.OrderServiceStub(deployment.channel(deployment.a)).WatchOrder(
        protos.order_pb2.WatchOrderRequest(order_id=order_id), metadata=bearer, timeout=WATCH_SECONDS)
    arrived = threading.Condition()
    received: list[tuple[float, object]] = []
    first_seen: dict[int, float] = {}  # status -> when its update arrived on A
    ended: dict[str, object] = {}
    captured: dict[str, float] = {}

    def read() -> None:
        try:
            for update in watch:
                with arrived:
                    at = time.monotonic()
                    received.append((at, update))
                    if update.HasField("change"):
                        first_seen.setdefault(update.change.status, at)
                    if update.order.payment_status == common.CAPTURED:
                        captured.setdefault("at", at)
                    arrived.notify_all()
        except grpc.RpcError as error:
            ended["error"] = error
        finally:
            with arrived:
                ended["at"] = time.monotonic()
                arrived.notify_all()

    reader = threading.Thread(target=read, name="watch-reader", daemon=True)
    reader.start()
    steps: list[tuple[str, int, float, float]] = []  # (call on B, status it makes, began, returned)

    def wait_for(status: int, within: float) -> bool:
        with arrived:
            return arrived.wait_for(lambda: status in first_seen or "at" in ended, timeout=within) and status in first_seen

    def on_b(step: str, status: int, call):
        """Makes the change through B, then gives A up to STEP_SECONDS to report it (a miss is
        reported at the end, with everything else seen)."""
        began = time.monotonic()
        result = call()
        returned = time.monotonic()
        steps.append((step, status, began, returned))
        wait_for(status, STEP_SECONDS)
        return result

    def transcript() -> str:
        lines = ["updates on A (seconds after the watch opened):"]
        lines += [f"  +{at - opened:6.3f}s {name(update.change.status) if update.HasField('change') else '(no status change)'}"
                  f"{' [snapshot]' if update.from_snapshot else ''}, order {name(update.order.status)}, "
                  f"payment {common.PaymentStatus.Name(update.order.payment_status)}"
                  for at, update in list(received)]
        lines.append("changes made through B, and when A reported them:")
        for step, status, began, returned in steps:
            seen = first_seen.get(status)
            when = (f"{(seen - returned) * 1000:.0f} ms after the call returned ({(seen - began) * 1000:.0f} ms after it began)"
                    if seen is not None else "never")
            lines.append(f"  {step} -> {name(status)}: {when}")
        lines.append(f"payment CAPTURED first shown on A at +{captured['at'] - opened:.3f}s" if "at" in captured
                     else "payment never shown CAPTURED on A")
        if "error" in ended:
            lines.append(f"stream failed: {ended['error'].code().name} {ended['error'].details()}")
        elif "at" in ended:
            lines.append(f"stream ended by itself at +{ended['at'] - opened:.3f}s")
        return "\n".join(lines)

    try:
        assert wait_for(common.PENDING_CLINICAL_APPROVAL, STEP_SECONDS), f"no snapshot\n{transcript()}"
        approval = on_b("Approve", common.APPROVED, lambda: prescriber.Approve(protos.prescriber_pb2.ApproveRequest(
            request_id="watch-approve", order_id=order_id), metadata=deployment.bearers[PRESCRIBERS[1]], timeout=TIMEOUT))
        gtin = approval.prescription.prescription.gtin
        assert gtin, approval.prescription
        # Let the approval settle (the payment capture, queued with it, is recorded by whichever
        # instance's outbox takes it) so that the next change cannot ride in on that update.
        with arrived:
            arrived.wait_for(lambda: "at" in captured or "at" in ended, timeout=SETTLE_SECONDS)
        dispensing = on_b("StartDispensing", common.DISPENSING, lambda: pharmacy.StartDispensing(
            protos.pharmacy_pb2.StartDispensingRequest(request_id="watch-dispense", order_id=order_id),
            metadata=pharmacist, timeout=TIMEOUT))
        for scan in range(dispensing.items_required):
            verified = pharmacy.VerifyItem(protos.pharmacy_pb2.VerifyItemRequest(
                request_id=f"watch-scan-{scan}", order_id=order_id, scanned_gtin=gtin), metadata=pharmacist, timeout=TIMEOUT)
            assert verified.matches, verified.reason
        completed = pharmacy.CompleteDispensing(protos.pharmacy_pb2.CompleteDispensingRequest(
            request_id="watch-complete", order_id=order_id), metadata=pharmacist, timeout=TIMEOUT)
        assert completed.register_entry.entry_id, completed
        shipment = on_b("CreateShipment", common.DISPATCHED, lambda: pharmacy.CreateShipment(
            protos.pharmacy_pb2.CreateShipmentRequest(request_id="watch-ship", order_id=order_id),
            metadata=pharmacist, timeout=TIMEOUT))
        now = int(time.time())
        for code, status, location, signer, ago in (("EVOAC", common.IN_TRANSIT, "Leeds Mail Centre", "", 3),
                                                    ("EVGPD", common.OUT_FOR_DELIVERY, "Leeds Delivery Office", "", 2),
                                                    ("EVKSP", common.DELIVERED, "Leeds Delivery Office", "T TWIN", 1)):
            event = protos.courier_pb2.RecordTrackingEventRequest(tracking_number=shipment.tracking_number, event_code=code,
                                                                  location=location, signer=signer)
            event.occurred_at.seconds = now - ago
            response = on_b(f"RecordTrackingEvent {code}", status, lambda: courier.RecordTrackingEvent(event, timeout=TIMEOUT))
            assert response.applied and response.order_status == status, response

        # The stream ends by itself after DELIVERED.
        reader.join(max(opened + WATCH_SECONDS + 2 - time.monotonic(), 0.1))
    finally:
        if reader.is_alive():
            watch.cancel()
            reader.join(5)

    report = f"{transcript()}\n{deployment.output()}"
    late = [(step, status) for step, status, _, returned in steps
            if first_seen.get(status) is None or first_seen[status] - returned > STEP_SECONDS]
    assert not late, f"A did not report {', '.join(f'{name(status)} (from {step})' for step, status in late)} " \
                     f"within {STEP_SECONDS:.0f} s of the change through B:\n{report}"
    statuses = [update.change.status for _, update in received if update.HasField("change")]
    expected = [common.PENDING_CLINICAL_APPROVAL, common.APPROVED, common.DISPENSING, common.DISPATCHED,
                common.IN_TRANSIT, common.OUT_FOR_DELIVERY, common.DELIVERED]
    assert statuses == expected, f"status changes seen on A, in order:\n{report}"
    assert [update.from_snapshot for _, update in received] == [True] + [False] * (len(received) - 1), report
    assert "error" not in ended, f"WatchOrder on A failed instead of ending after DELIVERED:\n{report}"
    assert "at" in ended and ended["at"] - opened <= WATCH_SECONDS, f"WatchOrder on A did not end by itself:\n{report}"
    assert watch.code() == grpc.StatusCode.OK, report
    last = received[-1][1].order
    assert last.status == common.DELIVERED and last.tracking_number == shipment.tracking_number, report
    print(f"\ncross-instance WatchOrder: {transcript()}")


def test_the_dashboard_on_one_instance_sees_an_order_placed_and_approved_through_the_other(deployment):
    """AdminService.WatchOrders on A: its snapshot, then the changes made through B (the order
    placed, the prescription issued) as they happen."""
    protos = deployment.protos
    a, b = deployment.a, deployment.b
    dashboard = protos.admin_pb2_grpc.AdminServiceStub(deployment.channel(a, ADMIN)).WatchOrders(
        protos.admin_pb2.WatchOrdersRequest(), metadata=deployment.bearers[ADMIN], timeout=30)
    first = next(dashboard)
    assert first.WhichOneof("update") == "snapshot", first
    inventory = protos.pharmacy_pb2_grpc.PharmacyServiceStub(deployment.channel(b, PHARMACIST))
    order_id, product, _ = place_order(deployment, "dash", first=1)
    inventory.ReceiveStock(protos.pharmacy_pb2.ReceiveStockRequest(request_id=f"stock-{order_id}", product_id=product, quantity=1,
                                                                   reference="dash"), metadata=deployment.bearers[PHARMACIST], timeout=TIMEOUT)
    protos.prescriber_pb2_grpc.PrescriberServiceStub(deployment.channel(b, PRESCRIBERS[1])).Approve(
        protos.prescriber_pb2.ApproveRequest(request_id=f"approve-{order_id}", order_id=order_id),
        metadata=deployment.bearers[PRESCRIBERS[1]], timeout=TIMEOUT)
    seen = []
    for update in dashboard:
        if update.WhichOneof("update") == "change" and update.change.order.order_id == order_id:
            seen.append(update.change.action)
            if update.change.action == "prescription.issued":
                break
    dashboard.cancel()
    assert seen[0] == "order.placed" and seen[-1] == "prescription.issued", seen
