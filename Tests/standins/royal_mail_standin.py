#!/usr/bin/env python3
"""A local stand-in for Royal Mail Click & Drop's REST API, for the gateway tests (Python 3
standard library only).

It speaks HTTPS with the certificate and key given, under /api/v1 as the real API does, and
checks what Click & Drop documents for the endpoints MedExpress uses
("ChannelShipper & Royal Mail Public API" v1, https://api.parcel.royalmail.com):

  POST /api/v1/orders   CreateOrdersRequest {"items": [CreateOrderRequest, ...]} ->
                        200 CreateOrdersResponse {successCount, errorsCount, createdOrders, failedOrders}
      * Authorization: Bearer <the configured key>, else 401 with no body;
      * Content-Type application/json and a JSON body, else 400 ErrorResponse {code, message};
      * 1 to 100 items; at most one item asking for its label in the response (as Click & Drop);
      * per item, into failedOrders[].errors[] {errorCode, errorMessage, fields[{fieldName, value}]}:
        required fields (recipient.address.addressLine1/city/countryCode, orderDate, subtotal,
        shippingCostCharged, total), documented maximum lengths, a UK postcode for GB, ISO 8601
        dates, a known service code, packages with weightInGrams 1..30000 and a known
        packageFormatIdentifier, and an orderReference not used before (an assumption: Click &
        Drop does not document what it does with a repeated reference; here it is refused);
      * created orders get an orderIdentifier, a valid UPU S10 tracking number, and (when asked)
        a one-page PDF label in base64.
  GET /api/v1/orders/{orderIdentifiers}
                        identifiers (integers) or references (percent-encoded, in double quotes,
                        themselves possibly percent-encoded) separated by ';' -> 200
                        [GetOrderInfoResource], or 404 when none is found.
  GET /api/v1/orders/{orderIdentifier}/label?documentType=postageLabel&includeReturnsLabel=false
                        -> 200 application/pdf.

Protocol violations are recorded for the test (and do not change the answer): unknown fields,
and any of the forbidden words (--forbidden-word, case-insensitive) anywhere in a request: the
parcel must not say what is inside.

Test hooks, without authentication:
  GET  /__standin/requests  every request so far: method, path, status, parsed body, violations
  GET  /__standin/orders    every order created: orderIdentifier, orderReference, trackingNumber
  POST /__standin/faults    JSON {"method": "POST", "path": "/api/v1/orders", "action": "drop" |
                            "status", "status": 503, "count": 1}: the next matching requests are
                            processed and their connection closed without a response ("drop"),
                            or answered with the status without being processed ("status").

Usage: royal_mail_standin.py --cert CERT --key KEY --api-key KEY [--forbidden-word WORD ...]
The first line on stdout is the port. The server exits when stdin closes.
"""

import argparse
import base64
import datetime
import http.server
import json
import os
import re
import signal
import ssl
import sys
import threading
import urllib.parse

MAX_BODY_BYTES = 1024 * 1024
MAX_ITEMS = 100
MAX_IDENTIFIERS = 100
API = "/api/v1"

# Click & Drop service codes this account offers (OBA: Royal Mail 24/48, Tracked 24/48,
# Special Delivery Guaranteed by 1 pm and by 9 am; OLP equivalents).
SERVICES = {"CRL1", "CRL2", "TPN24", "TPS48", "TRN24", "TRS48", "SD1", "SD2", "SD3", "SD4", "SD5", "SD6",
            "OLP1", "OLP2", "TOLP24", "TOLP48", "SD1OLP"}
PACKAGE_FORMATS = {"undefined", "letter", "largeLetter", "smallParcel", "mediumParcel", "parcel", "documents"}
NOTIFY = {"sender", "recipient", "billing"}

# Documented fields and maximum lengths (None: not a string).
ORDER_FIELDS = {"orderReference": 40, "isRecipientABusiness": None, "recipient": None, "sender": None,
                "billing": None, "packages": None, "orderDate": None, "plannedDespatchDate": None,
                "specialInstructions": 500, "subtotal": None, "shippingCostCharged": None, "otherCosts": None,
                "customsDutyCosts": None, "total": None, "currencyCode": 3, "postageDetails": None, "tags": None,
                "label": None, "orderTax": None, "containsDangerousGoods": None}
RECIPIENT_FIELDS = {"address": None, "phoneNumber": 25, "emailAddress": 254, "addressBookReference": 100}
ADDRESS_FIELDS = {"fullName": 210, "companyName": 100, "addressLine1": 100, "addressLine2": 100, "addressLine3": 100,
                  "city": 100, "county": 100, "postcode": 20, "countryCode": 3}
PACKAGE_FIELDS = {"weightInGrams": None, "packageFormatIdentifier": None, "customPackageFormatIdentifier": None,
                  "dimensions": None, "contents": None}
POSTAGE_FIELDS = {"sendNotificationsTo": None, "serviceCode": 10, "serviceRegisterCode": 2, "consequentialLoss": None,
                  "receiveEmailNotification": None, "receiveSmsNotification": None,
                  "guaranteedSaturdayDelivery": None, "requestSignatureUponDelivery": None, "isLocalCollect": None,
                  "safePlace": 90, "department": 150, "AIRNumber": 50, "IOSSNumber": None,
                  "requiresExportLicense": None, "commercialInvoiceNumber": 35, "commercialInvoiceDate": None}
LABEL_FIELDS = {"includeLabelInResponse": None, "includeCN": None, "includeReturnsLabel": None}

UK_POSTCODE = re.compile(r"(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7]


def s10(indicator, serial):
    digits = "%08d" % serial
    check = 11 - sum(int(d) * w for d, w in zip(digits, S10_WEIGHTS)) % 11
    check = {10: 0, 11: 5}.get(check, check)
    return "%s%s%d%s" % (indicator, digits, check, "GB")


def label_pdf(tracking_number, address):
    """A one-page PDF naming the tracking number and the town, with a valid cross-reference table."""
    text = "BT /F1 14 Tf 20 380 Td (%s) Tj 0 -24 Td (%s) Tj ET" % (tracking_number, address.get("city", "?"))
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Resources << /Font << /F1 4 0 R >> >> "
               "/Contents 5 0 R >>", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               "<< /Length %d >>\nstream\n%s\nendstream" % (len(text) + 1, text)]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body.encode("latin-1"))
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


class OrderError(Exception):
    """One CreateOrderErrorResponse."""

    def __init__(self, code, message, field=None, value=None):
        super().__init__(message)
        self.body = {"errorCode": code, "errorMessage": message,
                     "fields": [{"fieldName": field, "value": "" if value is None else str(value)}] if field else []}


class ClickAndDrop:
    """The account's orders and the request log; every method runs under `lock`."""

    def __init__(self, api_key, forbidden_words):
        self.api_key = api_key
        self.forbidden_words = [word.lower() for word in forbidden_words]
        self.lock = threading.Lock()
        self.orders = []
        self.requests = []
        self.faults = []
        self.next_identifier = 1000
        self.next_serial = 41_000_000

    def violations_in(self, raw):
        text = raw.decode("utf-8", "replace").lower()
        return ["the request names %r" % word for word in self.forbidden_words if word in text]

    def create_orders(self, body, violations):
        if not isinstance(body, dict) or not isinstance(body.get("items"), list):
            raise ApiError(400, "BadRequest", "The request must be an object with an 'items' array.")
        for key in body:
            if key != "items":
                violations.append("unknown field %s" % key)
        items = body["items"]
        if not 1 <= len(items) <= MAX_ITEMS:
            raise ApiError(400, "BadRequest", "Between 1 and %d orders may be created at once." % MAX_ITEMS)
        labels = sum(1 for item in items if isinstance(item, dict) and isinstance(item.get("label"), dict)
                     and item["label"].get("includeLabelInResponse") is True)
        if labels > 1:
            raise ApiError(400, "BadRequest", "Amount of labels across all items must not exceed '1', was '%d'" % labels)
        created, failed = [], []
        for item in items:
            try:
                created.append(self.create_order(item, violations))
            except OrderError as error:
                failed.append({"order": item, "errors": [error.body]})
        return {"successCount": len(created), "errorsCount": len(failed), "createdOrders": created,
                "failedOrders": failed}

    def create_order(self, item, violations):
        if not isinstance(item, dict):
            raise OrderError(1, "An order must be an object.")
        fields(item, ORDER_FIELDS, "", violations)
        reference = item.get("orderReference")
        if reference is not None and any(order["orderReference"] == reference for order in self.orders):
            raise OrderError(409, "An order with the reference '%s' already exists." % reference, "orderReference",
                             reference)
        recipient = item.get("recipient")
        if not isinstance(recipient, dict) or not isinstance(recipient.get("address"), dict):
            raise OrderError(2, "The recipient's address is required.", "recipient.address")
        fields(recipient, RECIPIENT_FIELDS, "recipient.", violations)
        address = recipient["address"]
        fields(address, ADDRESS_FIELDS, "recipient.address.", violations)
        for name in ("addressLine1", "city", "countryCode"):
            if not isinstance(address.get(name), str) or not address[name].strip():
                raise OrderError(3, "The %s is required." % name, "recipient.address." + name)
        if address["countryCode"] == "GB":
            postcode = address.get("postcode")
            if not isinstance(postcode, str) or not UK_POSTCODE.fullmatch(postcode.strip().upper()):
                raise OrderError(4, "The postcode '%s' is not a valid UK postcode." % postcode,
                                 "recipient.address.postcode", postcode)
        if not isinstance(item.get("orderDate"), str) or not ISO_DATE.fullmatch(item["orderDate"]):
            raise OrderError(5, "The orderDate must be an ISO 8601 date and time.", "orderDate", item.get("orderDate"))
        for name in ("subtotal", "shippingCostCharged", "total"):
            if isinstance(item.get(name), bool) or not isinstance(item.get(name), (int, float)) or item[name] < 0:
                raise OrderError(6, "The %s is required and cannot be negative." % name, name, item.get(name))
        packages = item.get("packages")
        if not isinstance(packages, list) or not packages:
            raise OrderError(7, "At least one package is required.", "packages")
        for index, package in enumerate(packages):
            prefix = "packages[%d]." % index
            if not isinstance(package, dict):
                raise OrderError(7, "A package must be an object.", prefix[:-1])
            fields(package, PACKAGE_FIELDS, prefix, violations)
            weight = package.get("weightInGrams")
            if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 30000:
                raise OrderError(8, "The weight must be between 1 and 30000 grams.", prefix + "weightInGrams", weight)
            if package.get("packageFormatIdentifier") not in PACKAGE_FORMATS:
                raise OrderError(9, "Unknown package format.", prefix + "packageFormatIdentifier",
                                 package.get("packageFormatIdentifier"))
        postage = item.get("postageDetails")
        if not isinstance(postage, dict):
            raise OrderError(10, "Postage details with a service code are required.", "postageDetails")
        fields(postage, POSTAGE_FIELDS, "postageDetails.", violations)
        if postage.get("serviceCode") not in SERVICES:
            raise OrderError(11, "The service code '%s' is not available on this account." % postage.get("serviceCode"),
                             "postageDetails.serviceCode", postage.get("serviceCode"))
        if "sendNotificationsTo" in postage and postage["sendNotificationsTo"] not in NOTIFY:
            raise OrderError(12, "Unknown notification target.", "postageDetails.sendNotificationsTo",
                             postage["sendNotificationsTo"])
        label = item.get("label")
        if label is not None:
            if not isinstance(label, dict) or not isinstance(label.get("includeLabelInResponse"), bool):
                raise OrderError(13, "label.includeLabelInResponse is required.", "label.includeLabelInResponse")
            fields(label, LABEL_FIELDS, "label.", violations)

        self.next_identifier += 1
        self.next_serial += 1
        indicator = "ZW" if postage["serviceCode"].startswith("SD") else "TT"
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        order = {"orderIdentifier": self.next_identifier, "orderReference": reference, "createdOn": now,
                 "orderDate": item["orderDate"], "trackingNumber": s10(indicator, self.next_serial),
                 "_address": address}
        self.orders.append(order)
        response = public(order)
        if label is not None and label["includeLabelInResponse"]:
            response["label"] = base64.b64encode(label_pdf(order["trackingNumber"], address)).decode()
        return response

    def find(self, identifiers):
        found = []
        for identifier in identifiers.split(";"):
            text = urllib.parse.unquote(identifier)
            if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
                reference = urllib.parse.unquote(text[1:-1])
                found += [order for order in self.orders if order["orderReference"] == reference]
            elif text.isdigit():
                found += [order for order in self.orders if order["orderIdentifier"] == int(text)]
            else:
                raise ApiError(400, "BadRequest", "Invalid order identifier '%s'." % text)
        return found


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.body = {"code": code, "message": message}


def public(order):
    return {key: value for key, value in order.items() if not key.startswith("_")}


def fields(obj, known, prefix, violations):
    for key, value in obj.items():
        if key not in known:
            violations.append("unknown field %s%s" % (prefix, key))
        elif known[key] is not None and isinstance(value, str) and len(value) > known[key]:
            raise OrderError(14, "The %s%s is longer than %d characters." % (prefix, key, known[key]), prefix + key,
                             value)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "click-and-drop-standin"
    api = None   # set by main

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        if self.path == "/__standin/requests":
            with self.api.lock:
                self.respond(200, list(self.api.requests))
            return
        if self.path == "/__standin/orders":
            with self.api.lock:
                self.respond(200, [public(order) for order in self.api.orders])
            return
        self.handle_api(b"")

    def do_POST(self):
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit() or int(length) > MAX_BODY_BYTES:
            self.respond(400, {"code": "BadRequest", "message": "A Content-Length of at most %d bytes is required."
                               % MAX_BODY_BYTES})
            return
        raw = self.rfile.read(int(length))
        if self.path == "/__standin/faults":
            fault = json.loads(raw)
            fault.setdefault("count", 1)
            with self.api.lock:
                self.api.faults.append(fault)
            self.respond(200, {"ok": True})
            return
        self.handle_api(raw)

    def handle_api(self, raw):
        with self.api.lock:
            record = {"method": self.command, "path": self.path, "status": None, "body": None,
                      "violations": self.api.violations_in(self.path.encode() + b" " + raw)}
            self.api.requests.append(record)
            status, body, content_type, drop = self.route(raw, record)
            record["status"] = "dropped" if drop else status
        if drop:
            # The work is done but the client never hears of it: a network failure after the fact.
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.respond(status, body, content_type)

    def route(self, raw, record):
        """Runs under the lock: returns (status, body, content type, drop the connection)."""
        if self.headers.get("Authorization", "") != "Bearer " + self.api.api_key:
            return 401, None, None, False
        fault = self.take_fault()
        if fault and fault["action"] == "status":
            status = int(fault.get("status", 503))
            return status, {"code": "InjectedFailure", "message": "Injected failure (HTTP %d)." % status}, None, False
        drop = bool(fault and fault["action"] == "drop")
        path, _, query = self.path.partition("?")
        try:
            if self.command == "POST" and path == API + "/orders":
                if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
                    record["violations"].append("Content-Type %r is not JSON" % self.headers.get("Content-Type"))
                    raise ApiError(415, "UnsupportedMediaType", "The body must be application/json.")
                try:
                    body = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, ValueError) as failure:
                    record["violations"].append("malformed JSON: %s" % failure)
                    raise ApiError(400, "BadRequest", "The request body is not valid JSON.")
                record["body"] = body
                return 200, self.api.create_orders(body, record["violations"]), None, drop
            match = re.fullmatch(API + r"/orders/([^/]+)(/label)?", path)
            if self.command == "GET" and match:
                if len(match.group(1).split(";")) > MAX_IDENTIFIERS:
                    raise ApiError(400, "BadRequest", "At most %d identifiers." % MAX_IDENTIFIERS)
                orders = self.api.find(match.group(1))
                if not orders:
                    return 404, None, None, drop
                if match.group(2):
                    parameters = urllib.parse.parse_qs(query)
                    if parameters.get("documentType") != ["postageLabel"] or "includeReturnsLabel" not in parameters:
                        raise ApiError(400, "BadRequest", "documentType=postageLabel and includeReturnsLabel are required.")
                    return 200, label_pdf(orders[0]["trackingNumber"], orders[0]["_address"]), "application/pdf", drop
                return 200, [public(order) for order in orders], None, drop
            raise ApiError(404, "NotFound", "No such endpoint: %s %s" % (self.command, path))
        except ApiError as error:
            return error.status, error.body, None, drop

    def take_fault(self):
        for fault in self.api.faults:
            if (fault["path"] == self.path.partition("?")[0] and fault.get("method", self.command) == self.command
                    and fault["count"] > 0):
                fault["count"] -= 1
                return fault
        return None

    def respond(self, status, body, content_type=None):
        data = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", content_type or "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True


class TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    context = None

    def finish_request(self, request, client_address):
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
    # A process spawned from a thread that blocks signals inherits the mask: let SIGTERM end it.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--forbidden-word", action="append", default=[])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    arguments = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(arguments.cert, arguments.key)
    Handler.api = ClickAndDrop(arguments.api_key, arguments.forbidden_word)
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
