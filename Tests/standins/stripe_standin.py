#!/usr/bin/env python3
"""A local stand-in for Stripe's REST API, for the gateway tests (Python 3 standard library only).

It speaks HTTPS with the certificate and key given, and checks what Stripe checks on the
endpoints MedExpress uses: POST /v1/payment_intents (confirm with manual capture),
/v1/payment_intents/{id}/capture, /v1/payment_intents/{id}/cancel and /v1/refunds.

  * Authorization: Bearer <the configured secret key>, else 401 with Stripe's error JSON;
  * form-encoded bodies, known parameters only, required parameters present, amounts valid;
  * an Idempotency-Key on every POST (its absence is recorded as a violation and answered 400);
    the same key with other parameters gives 400 idempotency_error, the same key with the same
    parameters replays the first response (Idempotent-Replayed: true);
  * capture only from requires_capture and at most amount_capturable; cancel only before capture;
    refunds only of captured payments and at most what is left to refund;
  * Stripe's test payment methods (pm_card_visa, pm_card_chargeDeclined, ...).

Test hooks, without authentication:
  GET  /__standin/requests  every request so far: method, path, idempotency key, parameters,
                            status, whether it was replayed, and any protocol violations
  POST /__standin/faults    JSON {"path": "/v1/...", "action": "drop" | "status", "status": 503,
                            "count": 1}: the next matching requests are processed and their
                            connection then closed without a response ("drop"), or answered
                            with the status without being processed ("status").

Usage: stripe_standin.py --cert CERT --key KEY --secret-key sk_test_... [--port 0] [--chunked]
The first line on stdout is the port. The server exits when stdin closes, so a test that dies
does not leave it running.
"""

import argparse
import hashlib
import http.server
import json
import os
import re
import signal
import ssl
import sys
import threading
import urllib.parse

DECLINED = "Your card was declined."

# token -> (card number, brand, decline code or None, message)
TEST_CARDS = {
    "pm_card_visa": ("4242424242424242", "visa", None, None),
    "pm_card_visa_debit": ("4000056655665556", "visa", None, None),
    "pm_card_mastercard": ("5555555555554444", "mastercard", None, None),
    "pm_card_mastercard_debit": ("5200828282828210", "mastercard", None, None),
    "pm_card_amex": ("378282246310005", "amex", None, None),
    "pm_card_gb": ("4000008260000000", "visa", None, None),
    "pm_card_chargeDeclined": ("4000000000000002", "visa", "generic_decline", DECLINED),
    "pm_card_visa_chargeDeclined": ("4000000000000002", "visa", "generic_decline", DECLINED),
    "pm_card_chargeDeclinedInsufficientFunds": ("4000000000009995", "visa", "insufficient_funds",
                                                "Your card has insufficient funds."),
    "pm_card_visa_chargeDeclinedInsufficientFunds": ("4000000000009995", "visa", "insufficient_funds",
                                                     "Your card has insufficient funds."),
    "pm_card_chargeDeclinedLostCard": ("4000000000009987", "visa", "lost_card", DECLINED),
    "pm_card_chargeDeclinedStolenCard": ("4000000000009979", "visa", "stolen_card", DECLINED),
    "pm_card_chargeDeclinedFraudulent": ("4100000000000019", "visa", "fraudulent", DECLINED),
    "pm_card_chargeDeclinedExpiredCard": ("4000000000000069", "visa", "expired_card", "Your card has expired."),
    "pm_card_chargeDeclinedIncorrectCvc": ("4000000000000127", "visa", "incorrect_cvc",
                                           "Your card's security code is incorrect."),
    "pm_card_chargeDeclinedProcessingError": ("4000000000000119", "visa", "processing_error",
                                              "An error occurred while processing your card. Try again in a little bit."),
}
# Stripe's error code for a decline: most are card_declined with the reason in decline_code.
ERROR_CODE_FOR_DECLINE = {"expired_card": "expired_card", "incorrect_cvc": "incorrect_cvc",
                          "processing_error": "processing_error"}

MIN_AMOUNT_GBP = 30          # Stripe's minimum charge in GBP: 30p
MAX_AMOUNT = 99_999_999
MAX_BODY_BYTES = 64 * 1024
MAX_IDEMPOTENCY_KEY = 255

CREATE_PARAMS = {"amount", "currency", "payment_method", "payment_method_types[]", "confirm", "capture_method",
                 "metadata[order]", "expand[]", "automatic_payment_methods[enabled]", "description"}
CAPTURE_PARAMS = {"amount_to_capture", "expand[]"}
CANCEL_PARAMS = {"cancellation_reason", "expand[]"}
REFUND_PARAMS = {"payment_intent", "amount", "reason", "metadata[order]"}


class StripeError(Exception):
    """An error response; `saved` says whether Stripe would keep it for the idempotency key."""

    def __init__(self, status, type_, message, code=None, decline_code=None, param=None, saved=False, extra=None):
        super().__init__(message)
        self.status = status
        self.saved = saved
        error = {"type": type_, "message": message}
        if code:
            error["code"] = code
        if decline_code:
            error["decline_code"] = decline_code
        if param:
            error["param"] = param
        if extra:
            error.update(extra)
        self.body = {"error": error}


def invalid(message, param=None, code="parameter_invalid", saved=False, status=400):
    return StripeError(status, "invalid_request_error", message, code=code, param=param, saved=saved)


class Stripe:
    """The account's objects and idempotency records; every method runs under `lock`."""

    def __init__(self, secret_key):
        self.secret_key = secret_key
        self.lock = threading.Lock()
        self.intents = {}
        self.refunds = {}
        self.idempotency = {}   # key -> (method, path, params, status, body)
        self.requests = []
        self.faults = []
        self.counter = 0

    def next_id(self, prefix):
        self.counter += 1
        return "%s_%024d" % (prefix, self.counter)

    # -- objects --------------------------------------------------------------------------

    def payment_method(self, token, expanded):
        number, brand, _, _ = TEST_CARDS[token]
        if not expanded:
            return token
        return {"id": token, "object": "payment_method", "type": "card",
                "card": {"brand": brand, "last4": number[-4:], "exp_month": 12, "exp_year": 2034,
                         "fingerprint": hashlib.sha256(number.encode()).hexdigest()[:16]}}

    def intent_json(self, intent, expand):
        body = dict(intent)
        body["payment_method"] = self.payment_method(intent["payment_method"], "payment_method" in expand)
        return body

    # -- endpoints ------------------------------------------------------------------------

    def create_intent(self, params):
        only(params, CREATE_PARAMS)
        amount = amount_param(params, "amount", required=True)
        currency = one(params, "currency", required=True)
        if currency != currency.lower() or not re.fullmatch(r"[a-z]{3}", currency):
            raise invalid("Invalid currency: %s." % currency, "currency")
        if currency == "gbp" and amount < MIN_AMOUNT_GBP:
            raise invalid("Amount must be at least £0.30 gbp", "amount", code="amount_too_small")
        if params.get("payment_method_types[]") and params.get("automatic_payment_methods[enabled]") == ["true"]:
            raise invalid("You may only specify one of these parameters: automatic_payment_methods, payment_method_types.")
        if params.get("payment_method_types[]", ["card"]) != ["card"]:
            raise invalid("This stand-in knows only card payments.", "payment_method_types")
        confirm = one(params, "confirm") == "true"
        capture_method = one(params, "capture_method") or "automatic"
        if capture_method not in ("automatic", "automatic_async", "manual"):
            raise invalid("Invalid capture_method: %s" % capture_method, "capture_method")
        token = one(params, "payment_method")
        if confirm and not token:
            raise invalid("You cannot confirm this PaymentIntent because it's missing a payment method.",
                          "payment_method", code="payment_intent_unexpected_state")
        if token and token not in TEST_CARDS:
            raise invalid("No such PaymentMethod: '%s'" % token, "payment_method", code="resource_missing", saved=True)
        expand = params.get("expand[]", [])
        intent = {"id": self.next_id("pi"), "object": "payment_intent", "amount": amount, "currency": currency,
                  "amount_capturable": 0, "amount_received": 0, "capture_method": capture_method,
                  "payment_method": token, "payment_method_types": ["card"], "livemode": False,
                  "metadata": {"order": one(params, "metadata[order]")} if "metadata[order]" in params else {},
                  "status": "requires_confirmation" if token else "requires_payment_method",
                  "last_payment_error": None, "_refunded": 0}
        self.intents[intent["id"]] = intent
        if confirm:
            _, _, decline, message = TEST_CARDS[token]
            if decline:
                code = ERROR_CODE_FOR_DECLINE.get(decline, "card_declined")
                intent["status"] = "requires_payment_method"
                intent["last_payment_error"] = {"type": "card_error", "code": code, "decline_code": decline,
                                                "message": message}
                raise StripeError(402, "card_error", message, code=code, decline_code=decline, saved=True,
                                  extra={"payment_intent": public(self.intent_json(intent, expand))})
            if capture_method == "manual":
                intent["status"] = "requires_capture"
                intent["amount_capturable"] = amount
            else:
                intent["status"] = "succeeded"
                intent["amount_received"] = amount
        return public(self.intent_json(intent, expand))

    def intent(self, intent_id):
        intent = self.intents.get(intent_id)
        if intent is None:
            raise invalid("No such payment_intent: '%s'" % intent_id, "intent", code="resource_missing",
                          saved=True, status=404)
        return intent

    def capture(self, intent_id, params):
        only(params, CAPTURE_PARAMS)
        intent = self.intent(intent_id)
        if intent["status"] != "requires_capture":
            raise invalid("This PaymentIntent could not be captured because it has a status of %s. Only a "
                          "PaymentIntent with one of the following statuses may be captured: requires_capture."
                          % intent["status"], code="payment_intent_unexpected_state", saved=True)
        amount = amount_param(params, "amount_to_capture", required=False)
        if amount is None:
            amount = intent["amount_capturable"]
        if amount > intent["amount_capturable"]:
            raise invalid("The amount_to_capture (%d) is greater than the amount_capturable (%d)."
                          % (amount, intent["amount_capturable"]), "amount_to_capture",
                          code="amount_too_large", saved=True)
        intent.update(status="succeeded", amount_received=amount, amount_capturable=0)
        return public(self.intent_json(intent, params.get("expand[]", [])))

    def cancel(self, intent_id, params):
        only(params, CANCEL_PARAMS)
        intent = self.intent(intent_id)
        if intent["status"] not in ("requires_payment_method", "requires_capture", "requires_confirmation",
                                    "requires_action", "processing"):
            raise invalid("You cannot cancel this PaymentIntent because it has a status of %s."
                          % intent["status"], code="payment_intent_unexpected_state", saved=True)
        intent.update(status="canceled", amount_capturable=0)
        return public(self.intent_json(intent, params.get("expand[]", [])))

    def refund(self, params):
        only(params, REFUND_PARAMS)
        intent_id = one(params, "payment_intent", required=True)
        intent = self.intent(intent_id)
        if intent["status"] != "succeeded":
            raise invalid("This PaymentIntent (%s) does not have a successful charge to refund." % intent_id,
                          "payment_intent", code="charge_not_refundable" if intent["status"] == "canceled"
                          else "payment_intent_unexpected_state", saved=True)
        left = intent["amount_received"] - intent["_refunded"]
        amount = amount_param(params, "amount", required=False)
        if amount is None:
            amount = left
        if amount > left:
            raise invalid("Refund amount (£%.2f) is greater than unrefunded amount on charge (£%.2f)"
                          % (amount / 100, left / 100), "amount", code="amount_too_large", saved=True)
        if left == 0:
            raise invalid("Charge for %s has already been refunded." % intent_id, code="charge_already_refunded",
                          saved=True)
        intent["_refunded"] += amount
        refund = {"id": self.next_id("re"), "object": "refund", "amount": amount, "currency": intent["currency"],
                  "payment_intent": intent_id, "status": "succeeded", "reason": one(params, "reason")}
        self.refunds[refund["id"]] = refund
        return refund


def public(intent):
    return {key: value for key, value in intent.items() if not key.startswith("_")}


def only(params, allowed):
    for name in params:
        if name not in allowed:
            raise invalid("Received unknown parameter: %s" % name, name, code="parameter_unknown")


def one(params, name, required=False):
    values = params.get(name)
    if not values:
        if required:
            raise invalid("Missing required param: %s." % name, name, code="parameter_missing")
        return None
    if len(values) > 1:
        raise invalid("Parameter %s was given more than once." % name, name)
    return values[0]


def amount_param(params, name, required):
    text = one(params, name, required)
    if text is None:
        return None
    if not re.fullmatch(r"[0-9]+", text) or not 1 <= int(text) <= MAX_AMOUNT:
        raise invalid("Invalid integer: %s" % text, name, code="parameter_invalid_integer")
    return int(text)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "stripe-standin"
    stripe = None      # set by main
    chunked = False    # answer with chunked transfer coding instead of Content-Length

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        if self.path == "/__standin/requests":
            with self.stripe.lock:
                self.respond(200, list(self.stripe.requests))
        else:
            self.respond(404, StripeError(404, "invalid_request_error", "Unrecognized request URL (GET: %s)."
                                          % self.path).body)

    def do_POST(self):
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit() or int(length) > MAX_BODY_BYTES:
            self.respond(400, invalid("A Content-Length of at most %d bytes is required." % MAX_BODY_BYTES).body)
            return
        raw = self.rfile.read(int(length))
        if self.path == "/__standin/faults":
            fault = json.loads(raw)
            fault.setdefault("count", 1)
            with self.stripe.lock:
                self.stripe.faults.append(fault)
            self.respond(200, {"ok": True})
            return
        with self.stripe.lock:
            record = {"method": "POST", "path": self.path, "idempotency_key": self.headers.get("Idempotency-Key"),
                      "stripe_version": self.headers.get("Stripe-Version"), "params": None, "status": None,
                      "replayed": False, "processed": False, "violations": []}
            self.stripe.requests.append(record)
            status, body, headers, drop = self.handle_api(raw, record)
            record["status"] = "dropped" if drop else status
        if drop:
            # The work is done but the client never hears of it: a network failure after the fact.
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.respond(status, body, headers)

    def handle_api(self, raw, record):
        """Runs under the lock: returns (status, body, extra headers, drop the connection)."""
        stripe = self.stripe
        authorization = self.headers.get("Authorization", "")
        if not authorization.startswith("Bearer "):
            return 401, StripeError(401, "invalid_request_error", "You did not provide an API key. You need to "
                                    "provide your API key in the Authorization header, using Bearer auth.").body, {}, False
        key = authorization[len("Bearer "):]
        if key != stripe.secret_key:
            shown = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else "***"
            return 401, StripeError(401, "invalid_request_error", "Invalid API Key provided: %s" % shown,
                                    code="api_key_invalid").body, {}, False
        version = self.headers.get("Stripe-Version")
        if version is None:
            record["violations"].append("no Stripe-Version header")
        elif not re.fullmatch(r"\d{4}-\d{2}-\d{2}(\.[a-z]+)?", version):
            return 400, invalid("Invalid Stripe API version: %s" % version).body, {}, False
        content_type = self.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip() != "application/x-www-form-urlencoded":
            record["violations"].append("Content-Type %r is not form encoding" % content_type)
            return 400, invalid("Request bodies must be application/x-www-form-urlencoded.").body, {}, False
        try:
            pairs = urllib.parse.parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw))
        except (UnicodeDecodeError, ValueError) as failure:
            record["violations"].append("malformed form body: %s" % failure)
            return 400, invalid("The request body is not valid form encoding.").body, {}, False
        params = {}
        for name, value in pairs:
            params.setdefault(name, []).append(value)
        record["params"] = params
        key = self.headers.get("Idempotency-Key")
        if key is None:
            record["violations"].append("POST %s without an Idempotency-Key" % self.path)
            return 400, invalid("This stand-in requires an Idempotency-Key on every POST.").body, {}, False
        if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY:
            return 400, invalid("Idempotency-Key must be 1 to %d characters." % MAX_IDEMPOTENCY_KEY).body, {}, False

        fault = self.take_fault()
        if fault and fault["action"] == "status":
            status = int(fault.get("status", 503))
            return status, StripeError(status, "api_error", "Injected failure (HTTP %d)." % status).body, {}, False

        earlier = stripe.idempotency.get(key)
        if earlier is not None:
            method, path, earlier_params, status, body = earlier
            if (method, path, earlier_params) != ("POST", self.path, params):
                return 400, StripeError(400, "idempotency_error", "Keys for idempotent requests can only be used "
                                        "with the same parameters they were first used with. Try using a key other "
                                        "than '%s' if you meant to execute a different request." % key).body, {}, False
            record["replayed"] = True
            return status, body, {"Idempotent-Replayed": "true"}, bool(fault and fault["action"] == "drop")

        try:
            record["processed"] = True
            body = self.route(params)
            status, saved = 200, True
        except StripeError as error:
            status, body, saved = error.status, error.body, error.saved
        if saved:
            stripe.idempotency[key] = ("POST", self.path, params, status, body)
        else:
            record["processed"] = False
        return status, body, {}, bool(fault and fault["action"] == "drop")

    def route(self, params):
        path = self.path
        if path == "/v1/payment_intents":
            return self.stripe.create_intent(params)
        match = re.fullmatch(r"/v1/payment_intents/([A-Za-z0-9_]+)/(capture|cancel)", path)
        if match:
            if match.group(2) == "capture":
                return self.stripe.capture(match.group(1), params)
            return self.stripe.cancel(match.group(1), params)
        if path == "/v1/refunds":
            return self.stripe.refund(params)
        raise StripeError(404, "invalid_request_error", "Unrecognized request URL (POST: %s)." % path)

    def take_fault(self):
        for fault in self.stripe.faults:
            if fault["path"] == self.path and fault["count"] > 0:
                fault["count"] -= 1
                return fault
        return None

    def respond(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Request-Id", "req_standin")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        if self.chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(data), 100):
                piece = data[start:start + 100]
                self.wfile.write(b"%x;standin=1\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
        else:
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        self.close_connection = True


class TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    context = None

    def finish_request(self, request, client_address):
        # The handshake runs on the connection's own thread, so a client that stalls or refuses
        # our certificate holds up nobody else.
        request.settimeout(10)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            try:
                tls.close()
            except OSError:
                pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunked", action="store_true")
    arguments = parser.parse_args()
    # A parent may start us with signals blocked (its spawning thread's mask): let SIGTERM end us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(arguments.cert, arguments.key)
    Handler.stripe = Stripe(arguments.secret_key)
    Handler.chunked = arguments.chunked
    server = TLSServer((arguments.host, arguments.port), Handler)
    server.context = context
    print(server.server_address[1], flush=True)

    def exit_when_stdin_closes():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
