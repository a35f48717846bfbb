"""A local, stateful fake of the parts of Stripe Connect this service uses.

It speaks Stripe's wire format (form-encoded requests with bracketed keys, JSON objects and
error envelopes, `Idempotency-Key`, `Idempotent-Replayed`) so that the real `stripe` library
talks to it unchanged, and it signs and delivers webhook events to one endpoint.

Stateful: connected accounts, account links with a hosted onboarding page, transfers with
reversals, transfer listing by `transfer_group`, bank payouts that can fail. Idempotency as
Stripe documents it: the first response for a key is replayed (a 500 too, when the endpoint
had started executing), the same key with other parameters is a 400, the same key while its
first request is still running is a 409, and keys are forgotten after 24 hours of the fake's
clock, which tests can move forward.

Faults are queued through `/_fake/faults` and consumed by the next matching request:

- `error_before` (status 500 by default): fail before anything happens; nothing is stored
  for the key, as when a request never reaches the endpoint.
- `error_after` (500): the transfer is made, then the request fails; the failure is what the
  key replays.
- `timeout_after`: the transfer is made, then the connection is held for `hang_seconds`
  and closed without a response (the client sees a timeout or a reset).
- `conflict` (409): answer as if another request with the same key were running.
- `drop`, `duplicate`, `reorder` (kind `webhook`): the next events are not delivered,
  delivered twice, or held and delivered newest first.

Control endpoints (no authentication, loopback only) live under `/_fake/`. Run it alone with
`python -m tests.fakes.stripe_server --port 12111 --webhook-url URL --webhook-secret SECRET`.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import itertools
import json
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

IDEMPOTENCY_WINDOW_S = 24 * 3600
WEBHOOK_ATTEMPTS = 3
INITIAL_REQUIREMENTS = (
    "business_type",
    "external_account",
    "individual.dob.day",
    "individual.first_name",
    "tos_acceptance.date",
)


class FakeStripeError(Exception):
    """An error answered in Stripe's envelope."""

    def __init__(
        self, status: int, message: str, *, type_: str = "invalid_request_error", code: str = ""
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type_, "message": message, "code": code or None}}


@dataclass
class StoredResponse:
    """What the first request with an idempotency key answered."""

    fingerprint: str
    status: int
    body: dict[str, Any]
    stored_at: float


@dataclass
class FakeState:
    """Everything the fake remembers; one lock guards all of it."""

    webhook_url: str = ""
    webhook_secret: str = ""
    livemode: bool = False
    clock_offset_s: float = 0.0
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    links: dict[str, dict[str, Any]] = field(default_factory=dict)
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[str, StoredResponse] = field(default_factory=dict)
    in_flight: set[str] = field(default_factory=set)
    faults: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    held_events: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    request_log: list[dict[str, Any]] = field(default_factory=list)
    # Faults consumed so far, by "op:kind"; answers held open now, and ever (a timeout with
    # `hang_seconds` 0 is a reset, not held).
    faults_taken: dict[str, int] = field(default_factory=dict)
    hanging: int = 0
    hangs_started: int = 0


def parse_form(body: str) -> dict[str, Any]:
    """Return Stripe's bracketed form encoding (`metadata[payout_id]=7`) as nested dicts."""
    result: dict[str, Any] = {}
    for key, value in urllib.parse.parse_qsl(body, keep_blank_values=True):
        parts = key.replace("]", "").split("[")
        target = result
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return result


def sign(payload: str, secret: str, timestamp: int) -> str:
    """Return a `Stripe-Signature` header value for a payload."""
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class FakeStripe:
    """The fake's behaviour, independent of HTTP so the handler stays a translator."""

    def __init__(self, *, webhook_url: str = "", webhook_secret: str = "") -> None:
        self.state = FakeState(webhook_url=webhook_url, webhook_secret=webhook_secret)
        self.lock = threading.RLock()
        # Called (in the request's thread) when an answer starts being held, so a test in
        # the same process can act while the client waits, e.g. kill it.
        self.on_hold: Callable[[], None] | None = None
        self.ids = itertools.count(1)
        self.base_url = ""

    # -- clock and ids -------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.state.clock_offset_s

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self.ids):08d}"

    # -- faults ---------------------------------------------------------------------------

    def take_fault(self, op: str) -> dict[str, Any] | None:
        """Return and consume the first queued fault for an operation."""
        with self.lock:
            for index, fault in enumerate(self.state.faults):
                if fault.get("op") == op:
                    if fault.get("times", 1) <= 1:
                        del self.state.faults[index]
                    else:
                        fault["times"] -= 1
                    name = f"{op}:{fault['kind']}"
                    self.state.faults_taken[name] = self.state.faults_taken.get(name, 0) + 1
                    return dict(fault)
        return None

    # -- accounts and onboarding ------------------------------------------------------------

    def create_account(self, params: dict[str, Any]) -> dict[str, Any]:
        account_id = self.new_id("acct")
        account = {
            "id": account_id,
            "object": "account",
            "type": params.get("type", "express"),
            "country": params.get("country", "US"),
            "email": params.get("email"),
            "created": int(self.now()),
            "charges_enabled": False,
            "payouts_enabled": False,
            "details_submitted": False,
            "capabilities": {"transfers": "inactive"},
            "requirements": {
                "currently_due": list(INITIAL_REQUIREMENTS),
                "eventually_due": list(INITIAL_REQUIREMENTS),
                "past_due": [],
                "disabled_reason": "requirements.past_due",
                "current_deadline": None,
            },
            "metadata": params.get("metadata", {}),
            "livemode": self.state.livemode,
        }
        with self.lock:
            self.state.accounts[account_id] = account
        return account

    def get_account(self, account_id: str) -> dict[str, Any]:
        with self.lock:
            account = self.state.accounts.get(account_id)
        if account is None:
            raise FakeStripeError(404, f"No such account: '{account_id}'", code="resource_missing")
        return account

    def create_account_link(self, params: dict[str, Any]) -> dict[str, Any]:
        account = self.get_account(params.get("account", ""))
        for name in ("refresh_url", "return_url"):
            if not params.get(name):
                raise FakeStripeError(
                    400, f"Missing required param: {name}.", code="parameter_missing"
                )
        link_id = self.new_id("link")
        created = int(self.now())
        link = {
            "object": "account_link",
            "created": created,
            "expires_at": created + 300,
            "url": f"{self.base_url}/connect/onboarding/{link_id}",
        }
        with self.lock:
            self.state.links[link_id] = {
                "account": account["id"],
                "refresh_url": params["refresh_url"],
                "return_url": params["return_url"],
                "expires_at": link["expires_at"],
                "used": False,
            }
        return link

    def complete_onboarding(self, link_id: str, *, with_bank_account: bool) -> str:
        """Fill in the account as the hosted form would; return where to send the browser."""
        with self.lock:
            link = self.state.links.get(link_id)
            if link is None:
                raise FakeStripeError(404, "This onboarding link does not exist.")
            if link["used"] or link["expires_at"] < self.now():
                return str(link["refresh_url"])
            link["used"] = True
            account = self.state.accounts[link["account"]]
            missing = [] if with_bank_account else ["external_account"]
            account["details_submitted"] = True
            account["payouts_enabled"] = with_bank_account
            account["capabilities"] = {"transfers": "active" if with_bank_account else "pending"}
            account["requirements"] = {
                "currently_due": missing,
                "eventually_due": missing,
                "past_due": missing,
                "disabled_reason": "requirements.past_due" if missing else None,
                "current_deadline": None,
            }
            snapshot = json.loads(json.dumps(account))
        self.emit("account.updated", snapshot, account=snapshot["id"])
        return str(link["return_url"])

    def onboarding_page(self, link_id: str) -> str:
        with self.lock:
            link = self.state.links.get(link_id)
        if link is None:
            raise FakeStripeError(404, "This onboarding link does not exist.")
        account = html.escape(link["account"])
        action = f"/connect/onboarding/{html.escape(link_id)}"
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fake Stripe onboarding</title>
<style>body{{font-family:sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem}}
button{{font-size:1rem;padding:.6rem 1rem;margin:.3rem 0;width:100%}}</style></head>
<body><h1>Set up payouts</h1>
<p>Test onboarding for connected account <code>{account}</code>. Nothing here is real.</p>
<form method="post" action="{action}">
<button type="submit" name="outcome" value="complete">Agree and submit</button>
<button type="submit" name="outcome" value="no_bank">Submit without a bank account</button>
</form></body></html>"""

    # -- transfers --------------------------------------------------------------------------

    def create_transfer(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            amount = int(params.get("amount", ""))
        except ValueError:
            raise FakeStripeError(
                400, "Invalid integer: amount", code="parameter_invalid_integer"
            ) from None
        if amount <= 0:
            raise FakeStripeError(400, "Amount must be at least 1 cent.", code="amount_too_small")
        destination = params.get("destination", "")
        account = self.get_account(destination)
        if not account["payouts_enabled"]:
            raise FakeStripeError(
                400,
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers",
                code="insufficient_capabilities_for_transfer",
            )
        transfer = {
            "id": self.new_id("tr"),
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": str(params.get("currency", "usd")).lower(),
            "destination": destination,
            "transfer_group": params.get("transfer_group"),
            "metadata": params.get("metadata", {}),
            "description": params.get("description"),
            "reversed": False,
            "reversals": {"object": "list", "data": [], "has_more": False, "url": ""},
            "created": int(self.now()),
            "livemode": self.state.livemode,
        }
        transfer["reversals"]["url"] = f"/v1/transfers/{transfer['id']}/reversals"
        with self.lock:
            self.state.transfers[transfer["id"]] = transfer
            snapshot = json.loads(json.dumps(transfer))
        self.emit("transfer.created", snapshot)
        return transfer

    def get_transfer(self, transfer_id: str) -> dict[str, Any]:
        with self.lock:
            transfer = self.state.transfers.get(transfer_id)
        if transfer is None:
            raise FakeStripeError(
                404, f"No such transfer: '{transfer_id}'", code="resource_missing"
            )
        return transfer

    def list_transfers(self, query: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            transfers = sorted(self.state.transfers.values(), key=lambda t: t["id"], reverse=True)
        if query.get("transfer_group"):
            transfers = [t for t in transfers if t["transfer_group"] == query["transfer_group"]]
        if query.get("destination"):
            transfers = [t for t in transfers if t["destination"] == query["destination"]]
        if query.get("starting_after"):
            ids = [t["id"] for t in transfers]
            position = (
                ids.index(query["starting_after"]) + 1 if query["starting_after"] in ids else 0
            )
            transfers = transfers[position:]
        limit = min(int(query.get("limit", 10)), 100)
        return {
            "object": "list",
            "data": transfers[:limit],
            "has_more": len(transfers) > limit,
            "url": "/v1/transfers",
        }

    def reverse_transfer(self, transfer_id: str, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            transfer = self.get_transfer(transfer_id)
            remaining = transfer["amount"] - transfer["amount_reversed"]
            amount = int(params.get("amount", remaining))
            if amount <= 0 or amount > remaining:
                raise FakeStripeError(400, "Reversal amount exceeds what is left of the transfer.")
            reversal = {
                "id": self.new_id("trr"),
                "object": "transfer_reversal",
                "amount": amount,
                "currency": transfer["currency"],
                "transfer": transfer_id,
                "created": int(self.now()),
                "metadata": params.get("metadata", {}),
            }
            transfer["amount_reversed"] += amount
            transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
            transfer["reversals"]["data"].append(reversal)
            snapshot = json.loads(json.dumps(transfer))
        self.emit("transfer.reversed", snapshot)
        return reversal

    def fail_bank_payout(self, account_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """The connected account's bank returned a payout (`payout.failed` on that account)."""
        self.get_account(account_id)
        payout = {
            "id": self.new_id("po"),
            "object": "payout",
            "amount": int(params["amount"]),
            "currency": params.get("currency", "usd"),
            "status": "failed",
            "failure_code": params.get("failure_code", "account_closed"),
            "failure_message": params.get("failure_message", "The bank account has been closed."),
            "created": int(self.now()),
            "livemode": self.state.livemode,
        }
        self.emit("payout.failed", payout, account=account_id)
        return payout

    # -- idempotency ------------------------------------------------------------------------

    def idempotent(
        self, key: str, fingerprint: str, action: Any, *, op: str
    ) -> tuple[int, dict[str, Any], bool]:
        """Run `action` at most once per key; return (status, body, replayed)."""
        fault = self.take_fault(op)
        if fault and fault["kind"] == "conflict":
            raise FakeStripeError(
                409,
                "There is currently another in-progress request using this Idempotent Key "
                "(that probably means you submitted twice, and the other request is still "
                "going through).",
                type_="idempotency_error",
                code="idempotency_key_in_use",
            )
        if fault and fault["kind"] == "error_before":
            raise FakeStripeError(
                int(fault.get("status", 500)), "An unknown error occurred", type_="api_error"
            )
        with self.lock:
            self.prune_keys()
            stored = self.state.idempotency.get(key) if key else None
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    raise FakeStripeError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters "
                        "they were first used with.",
                        type_="idempotency_error",
                    )
                return stored.status, stored.body, True
            if key in self.state.in_flight:
                raise FakeStripeError(
                    409,
                    "There is currently another in-progress request using this Idempotent Key.",
                    type_="idempotency_error",
                    code="idempotency_key_in_use",
                )
            if key:
                self.state.in_flight.add(key)
        try:
            try:
                status, body = 200, action()
            except FakeStripeError as error:
                status, body = error.status, error.body
            if fault and fault["kind"] == "error_after" and status == 200:
                status = int(fault.get("status", 500))
                body = {"error": {"type": "api_error", "message": "An unknown error occurred"}}
            if key:
                with self.lock:
                    self.state.idempotency[key] = StoredResponse(
                        fingerprint, status, body, self.now()
                    )
        finally:
            with self.lock:
                self.state.in_flight.discard(key)
        if fault and fault["kind"] == "timeout_after":
            raise HangUp(float(fault.get("hang_seconds", 0)))
        return status, body, False

    def prune_keys(self) -> None:
        horizon = self.now() - IDEMPOTENCY_WINDOW_S
        for key in [k for k, v in self.state.idempotency.items() if v.stored_at < horizon]:
            del self.state.idempotency[key]

    # -- webhooks ---------------------------------------------------------------------------

    def emit(self, type_: str, obj: dict[str, Any], *, account: str | None = None) -> None:
        event: dict[str, Any] = {
            "id": self.new_id("evt"),
            "object": "event",
            "api_version": "2025-01-27.acacia",
            "created": int(self.now()),
            "type": type_,
            "livemode": self.state.livemode,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": obj},
        }
        if account:
            event["account"] = account
        with self.lock:
            self.state.events.append(event)
        fault = self.take_fault("webhook")
        kind = fault["kind"] if fault else "deliver"
        if kind == "drop":
            return
        if kind == "reorder":
            with self.lock:
                self.state.held_events.append(event)
            return
        batch = [event]
        with self.lock:
            if self.state.held_events:
                # Held events go out after this newer one, newest first: out of order.
                batch += list(reversed(self.state.held_events))
                self.state.held_events.clear()
        if kind == "duplicate":
            batch.append(event)
        for item in batch:
            threading.Thread(target=self.deliver, args=(item,), daemon=True).start()

    def release_held(self) -> int:
        with self.lock:
            held = list(reversed(self.state.held_events))
            self.state.held_events.clear()
        for item in held:
            self.deliver(item)
        return len(held)

    def deliver(self, event: dict[str, Any], *, timestamp: int | None = None) -> int:
        """POST one event, signed, to the endpoint; retry a few times on failure."""
        url, secret = self.state.webhook_url, self.state.webhook_secret
        if not url:
            return 0
        payload = json.dumps(event)
        status = 0
        for attempt in range(WEBHOOK_ATTEMPTS):
            signed_at = timestamp if timestamp is not None else int(time.time())
            request = urllib.request.Request(  # noqa: S310 - the endpoint is configured locally
                url,
                data=payload.encode(),
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "Stripe-Signature": sign(payload, secret, signed_at),
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                },
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                    status = response.status
            except urllib.error.HTTPError as error:
                status = error.code
            except OSError:
                status = 0
            with self.lock:
                self.state.deliveries.append(
                    {"event": event["id"], "type": event["type"], "status": status}
                )
            if 200 <= status < 300:
                break
            time.sleep(0.2 * (attempt + 1))
        return status


class HangUp(Exception):
    """Close the connection without answering, after holding it open."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class Handler(BaseHTTPRequestHandler):
    """Translate HTTP to FakeStripe calls and back."""

    server: FakeStripeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    @property
    def fake(self) -> FakeStripe:
        return self.server.fake

    def read_body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode() if length else ""

    def send_json(self, status: int, body: Any, *, replayed: bool = False) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", f"req_fake{next(self.fake.ids):08d}")
        if replayed:
            self.send_header("Idempotent-Replayed", "true")
        self.end_headers()
        self.wfile.write(data)

    def send_html(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, location: str) -> None:
        self.send_response(303)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def dispatch(self, method: str) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path.rstrip("/")
        query = dict(urllib.parse.parse_qsl(parsed.query))
        body = self.read_body() if method == "POST" else ""
        try:
            if path.startswith("/_fake"):
                self.control(method, path, body)
            elif path.startswith("/connect/onboarding/"):
                self.onboarding(method, path, body)
            elif path.startswith("/v1/"):
                self.api(method, path, query, body)
            else:
                raise FakeStripeError(404, f"Unrecognized request URL ({method}: {path}).")
        except FakeStripeError as error:
            self.send_json(error.status, error.body)
        except HangUp as hang:
            with self.fake.lock:
                self.fake.state.hanging += 1
                self.fake.state.hangs_started += hang.seconds > 0
            if hang.seconds > 0 and self.fake.on_hold is not None:
                self.fake.on_hold()
            try:
                time.sleep(hang.seconds)
            finally:
                with self.fake.lock:
                    self.fake.state.hanging -= 1
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def api(self, method: str, path: str, query: dict[str, Any], body: str) -> None:
        if not (self.headers.get("Authorization") or "").startswith("Bearer sk_"):
            raise FakeStripeError(401, "Invalid API Key provided.")
        params = parse_form(body)
        key = self.headers.get("Idempotency-Key") or ""
        with self.fake.lock:
            self.fake.state.request_log.append(
                {"method": method, "path": path, "idempotency_key": key or None}
            )
        parts = path.split("/")[2:]
        resource = parts[0]
        fingerprint = f"{method} {path} {json.dumps(params, sort_keys=True)}"
        if method == "POST":
            actions = {
                ("accounts",): lambda: self.fake.create_account(params),
                ("account_links",): lambda: self.fake.create_account_link(params),
                ("transfers",): lambda: self.fake.create_transfer(params),
            }
            if resource == "transfers" and len(parts) == 3 and parts[2] == "reversals":
                action = lambda: self.fake.reverse_transfer(parts[1], params)  # noqa: E731
            else:
                action = actions.get(tuple(parts))  # type: ignore[assignment]
            if action is None:
                raise FakeStripeError(404, f"Unrecognized request URL (POST: {path}).")
            op = "create_transfer" if tuple(parts) == ("transfers",) else f"post_{resource}"
            status, response, replayed = self.fake.idempotent(key, fingerprint, action, op=op)
            self.send_json(status, response, replayed=replayed)
            return
        if resource == "accounts" and len(parts) == 2:
            self.send_json(200, self.fake.get_account(parts[1]))
        elif resource == "transfers" and len(parts) == 1:
            fault = self.fake.take_fault("list_transfers")
            if fault and fault["kind"] == "error_before":
                raise FakeStripeError(
                    int(fault.get("status", 500)), "An unknown error occurred", type_="api_error"
                )
            self.send_json(200, self.fake.list_transfers(query))
        elif resource == "transfers" and len(parts) == 2:
            self.send_json(200, self.fake.get_transfer(parts[1]))
        else:
            raise FakeStripeError(404, f"Unrecognized request URL (GET: {path}).")

    def onboarding(self, method: str, path: str, body: str) -> None:
        link_id = path.rsplit("/", 1)[-1]
        if method == "GET":
            self.send_html(200, self.fake.onboarding_page(link_id))
            return
        outcome = parse_form(body).get("outcome", "complete")
        self.redirect(
            self.fake.complete_onboarding(link_id, with_bank_account=outcome == "complete")
        )

    def control(self, method: str, path: str, body: str) -> None:
        fake, state = self.fake, self.fake.state
        data = json.loads(body) if body else {}
        if path == "/_fake/config" and method == "POST":
            with fake.lock:
                for name in ("webhook_url", "webhook_secret", "livemode"):
                    if name in data:
                        setattr(state, name, data[name])
            self.send_json(200, {"ok": True})
        elif path == "/_fake/faults" and method == "POST":
            with fake.lock:
                state.faults.extend(data["faults"])
            self.send_json(200, {"queued": len(state.faults)})
        elif path == "/_fake/clock" and method == "POST":
            with fake.lock:
                state.clock_offset_s += float(data["advance_seconds"])
            self.send_json(200, {"clock_offset_s": state.clock_offset_s})
        elif path == "/_fake/reset" and method == "POST":
            with fake.lock:
                fake.state = FakeState(
                    webhook_url=state.webhook_url, webhook_secret=state.webhook_secret
                )
            self.send_json(200, {"ok": True})
        elif path == "/_fake/state" and method == "GET":
            with fake.lock:
                snapshot = {
                    "accounts": list(state.accounts.values()),
                    "transfers": list(state.transfers.values()),
                    "events": state.events,
                    "deliveries": state.deliveries,
                    "requests": state.request_log,
                    "faults": state.faults,
                    "faults_taken": dict(state.faults_taken),
                    "held_events": len(state.held_events),
                    "hanging": state.hanging,
                    "hangs_started": state.hangs_started,
                    "idempotency_keys": len(state.idempotency),
                }
            self.send_json(200, snapshot)
        elif path == "/_fake/counters" and method == "GET":
            # What a test polls while it runs: small, unlike the whole state.
            with fake.lock:
                counters = {
                    "transfers": len(state.transfers),
                    "faults_left": len(state.faults),
                    "faults_taken": dict(state.faults_taken),
                    "held_events": len(state.held_events),
                    "hanging": state.hanging,
                    "hangs_started": state.hangs_started,
                }
            self.send_json(200, counters)
        elif path == "/_fake/webhooks/release" and method == "POST":
            self.send_json(200, {"released": fake.release_held()})
        elif path == "/_fake/webhooks/redeliver" and method == "POST":
            event = next(e for e in state.events if e["id"] == data["event"])
            status = fake.deliver(event, timestamp=data.get("timestamp"))
            self.send_json(200, {"status": status})
        elif path.startswith("/_fake/accounts/") and path.endswith("/payout_failed"):
            account_id = path.split("/")[3]
            self.send_json(200, fake.fail_bank_payout(account_id, data))
        elif path.startswith("/_fake/accounts/") and path.endswith("/complete"):
            account_id = path.split("/")[3]
            link = fake.create_account_link(
                {"account": account_id, "refresh_url": "-", "return_url": "-"}
            )
            fake.complete_onboarding(link["url"].rsplit("/", 1)[-1], with_bank_account=True)
            self.send_json(200, fake.get_account(account_id))
        else:
            raise FakeStripeError(404, f"Unknown control endpoint {method} {path}.")


class FakeStripeServer(ThreadingHTTPServer):
    """The HTTP server holding one FakeStripe."""

    daemon_threads = True

    def __init__(self, fake: FakeStripe, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), Handler)
        self.fake = fake
        fake.base_url = f"http://{host}:{self.server_address[1]}"

    @property
    def url(self) -> str:
        return self.fake.base_url


def start_in_thread(*, webhook_url: str = "", webhook_secret: str = "") -> FakeStripeServer:
    """Return a running server on a free loopback port (stop it with `shutdown()`)."""
    server = FakeStripeServer(FakeStripe(webhook_url=webhook_url, webhook_secret=webhook_secret))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--webhook-url", default="")
    parser.add_argument("--webhook-secret", default="")
    parser.add_argument("--port-file", default="", help="write the chosen port here")
    args = parser.parse_args()
    server = FakeStripeServer(
        FakeStripe(webhook_url=args.webhook_url, webhook_secret=args.webhook_secret),
        host=args.host,
        port=args.port,
    )
    if args.port_file:
        with open(args.port_file, "w") as handle:  # noqa: PTH123
            handle.write(str(server.server_address[1]))
    print(f"fake Stripe listening on {server.url}", flush=True)  # noqa: T201
    server.serve_forever()


if __name__ == "__main__":
    main()
