"""The emulator's HTTP server: ESIA's endpoints over ``http.server``."""

from __future__ import annotations

import datetime
import json
import logging
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from esia_emulator import pages, protocol
from esia_emulator.clients import Client, ClientStore
from esia_emulator.people import PeopleStore, Person
from esia_emulator.protocol import ProtocolError
from esia_emulator.signing import (
    PUBLIC_KEY_FILE_NAMES,
    RS256,
    load_or_create_token_key,
)
from esia_emulator.tokens import DEFAULT_ISSUER, AuthorizationCode, TokenIssuer

logger = logging.getLogger(__name__)

TICKET_LIFETIME_SECONDS = 900
MAX_FORM_BYTES = 64 * 1024
PERSON_SCOPES = frozenset(
    {"fullname", "birthdate", "gender", "snils", "inn", "birthplace"}
)
CONTACT_SCOPES = frozenset({"email", "mobile", "contacts"})
PERSON_PATH = re.compile(r"^/rs/prns/(\d+)(?:/(ctts|kids)(?:/(\d+))?)?/?$")
SNILS_DIGITS = re.compile(r"^\d{11}$")
TOKEN_FIELDS = (
    "client_id",
    "code",
    "grant_type",
    "client_secret",
    "client_certificate_hash",
    "timestamp",
    "token_type",
    "redirect_uri",
    "scope",
    "state",
)
# The client_secret of a v3 token request signs these values, concatenated.
TOKEN_SIGNED_FIELDS = (
    "client_id",
    "scope",
    "timestamp",
    "state",
    "redirect_uri",
    "code",
)


@dataclass(frozen=True)
class AuthorizationRequest:
    """A checked ``/ac`` request waiting for the user to choose an account."""

    client_id: str
    redirect_uri: str
    scopes: list[str]
    state: str
    created_at: float


class EmulatorState:
    """Everything the request handlers share: files, key, pending requests."""

    def __init__(
        self,
        data_dir: Path,
        issuer: str = DEFAULT_ISSUER,
        token_algorithm: str = RS256,
    ) -> None:
        self.data_dir = data_dir
        self.people = PeopleStore(data_dir)
        self.clients = ClientStore(data_dir)
        self.token_algorithm = token_algorithm
        key = load_or_create_token_key(data_dir, token_algorithm)
        self.issuer = TokenIssuer(key, issuer)
        self._rotations = 0
        self._tickets: dict[str, AuthorizationRequest] = {}
        self._lock = threading.Lock()
        # Test switches: every request is noted as "METHOD /path", and the
        # back channel (/te and /rs) responds after this many seconds.
        self.requests_seen: list[str] = []
        self.back_channel_delay = 0.0

    def note_request(self, method: str, path: str) -> None:
        with self._lock:
            self.requests_seen.append(f"{method} {path}")

    def rotate_token_key(self) -> Path:
        """Sign tokens with a new key, as ESIA does once a year.

        Returns the file that verifies the new key (an RSA public key or a
        GOST certificate), kept in a folder of its own under the data folder.
        """
        with self._lock:
            self._rotations += 1
            folder = self.data_dir / f"rotated-key-{self._rotations}"
        key = load_or_create_token_key(folder, self.token_algorithm)
        self.issuer.rotate_key(key)
        logger.info("Rotated the token signing key to %s", folder)
        return folder / PUBLIC_KEY_FILE_NAMES[self.token_algorithm]

    def pause_back_channel(self) -> None:
        if self.back_channel_delay > 0:
            time.sleep(self.back_channel_delay)

    def open_ticket(self, request: AuthorizationRequest) -> str:
        ticket = secrets.token_urlsafe(24)
        with self._lock:
            now = time.time()
            expired = [
                key
                for key, item in self._tickets.items()
                if now - item.created_at > TICKET_LIFETIME_SECONDS
            ]
            for key in expired:
                del self._tickets[key]
            self._tickets[ticket] = request
        return ticket

    def find_ticket(self, ticket: str) -> AuthorizationRequest | None:
        with self._lock:
            request = self._tickets.get(ticket)
        if (
            request is None
            or time.time() - request.created_at > TICKET_LIFETIME_SECONDS
        ):
            return None
        return request

    def close_ticket(self, ticket: str) -> None:
        with self._lock:
            self._tickets.pop(ticket, None)


def _with_query(url: str, params: dict[str, str]) -> str:
    separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}{urlencode(params)}"


def _granted_scopes(claims: dict[str, Any]) -> set[str]:
    scope_text = claims.get("scope", "")
    return {item.split("?", 1)[0] for item in str(scope_text).split()}


def _token_request_values(form: dict[str, str]) -> dict[str, str]:
    """Check that every v3 token request field is present and well formed."""
    values = {name: protocol.require(form, name) for name in TOKEN_FIELDS}
    if values["grant_type"] != "authorization_code":
        raise ProtocolError(
            "unsupported_grant_type",
            "ESIA-007014",
            "Неверный формат параметра [grant_type]",
        )
    if values["token_type"] != "Bearer":  # noqa: S105
        raise protocol.malformed("token_type")
    if not protocol.is_uuid4(values["state"]):
        raise protocol.malformed("state")
    return values


def person_body(person: Person, scopes: set[str]) -> dict[str, Any]:
    """Build ``/rs/prns/{oid}`` the way ESIA does, limited to granted scopes."""
    body: dict[str, Any] = {
        "stateFacts": ["EntityRoot"],
        "trusted": person.trusted,
        "status": "REGISTERED",
        "verifying": False,
        "updatedOn": int(time.time()),
        "eTag": f"E{person.oid}",
    }
    if "fullname" in scopes:
        body["firstName"] = person.first_name
        body["lastName"] = person.last_name
        if person.middle_name:
            body["middleName"] = person.middle_name
    if "birthdate" in scopes:
        body["birthDate"] = person.birth_date
    if "gender" in scopes:
        body["gender"] = person.gender
    if "snils" in scopes and person.snils:
        body["snils"] = person.snils
    if person.trusted:
        body["citizenship"] = "RUS"
    return body


def contact_elements(person: Person, scopes: set[str]) -> list[dict[str, Any]]:
    """List ``EML`` and ``MBT`` contacts that the granted scopes allow."""
    elements: list[dict[str, Any]] = []
    wants_all = "contacts" in scopes
    if person.email and (wants_all or "email" in scopes):
        elements.append(
            {
                "stateFacts": ["Identifiable"],
                "id": int(person.oid) * 10 + 1,
                "type": "EML",
                "vrfStu": "VERIFIED" if person.email_verified else "NOT_VERIFIED",
                "value": person.email,
                "eTag": f"C{person.oid}1",
            }
        )
    if person.mobile and (wants_all or "mobile" in scopes):
        elements.append(
            {
                "stateFacts": ["Identifiable"],
                "id": int(person.oid) * 10 + 2,
                "type": "MBT",
                "vrfStu": "VERIFIED",
                "value": person.mobile,
                "eTag": f"C{person.oid}2",
            }
        )
    return elements


def kid_body(kid: Person, scopes: set[str]) -> dict[str, Any]:
    body: dict[str, Any] = {"stateFacts": ["Identifiable"], "id": kid.oid}
    if "kid_fullname" in scopes:
        body["firstName"] = kid.first_name
        body["lastName"] = kid.last_name
        if kid.middle_name:
            body["middleName"] = kid.middle_name
    if "kid_birthdate" in scopes:
        body["birthDate"] = kid.birth_date
    if "kid_gender" in scopes:
        body["gender"] = kid.gender
    if "kid_snils" in scopes and kid.snils:
        body["snils"] = kid.snils
    body["eTag"] = f"K{kid.oid}"
    return body


class EsiaRequestHandler(BaseHTTPRequestHandler):
    """The request handler of the ESIA endpoints, sharing ``server.state``."""

    server_version = "esia-emulator"
    protocol_version = "HTTP/1.1"

    @property
    def state(self) -> EmulatorState:
        return self.server.state  # type: ignore[attr-defined, no-any-return]

    # ----- plumbing -------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        # Query strings carry codes and signatures, so only the path is logged.
        logger.info("%s %s", self.command, urlsplit(self.path).path)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str]
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_html(self, status: int, html: str) -> None:
        self._send(status, html.encode("utf-8"), "text/html; charset=utf-8", {})

    def send_json(self, status: int, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8", {})

    def send_redirect(self, location: str) -> None:
        self._send(HTTPStatus.FOUND, b"", "text/plain", {"Location": location})

    def read_form(self) -> dict[str, str] | None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            return None
        if length < 0 or length > MAX_FORM_BYTES:
            return None
        raw = self.rfile.read(length).decode("utf-8", errors="replace")
        return protocol.parse_params(raw)

    # ----- routing --------------------------------------------------------

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self.state.note_request("GET", url.path)
        query = protocol.parse_params(url.query)
        if url.path == "/aas/oauth2/v2/ac":
            self.authorize(query)
        elif url.path == "/idp/ext/Logout":
            self.logout(query)
        elif match := PERSON_PATH.match(url.path):
            self.state.pause_back_channel()
            oid, collection, item_id = match.groups()
            self.person_data(oid, collection, item_id, query)
        elif url.path == "/":
            self.send_html(HTTPStatus.OK, pages.index_page())
        else:
            self.send_html(
                HTTPStatus.NOT_FOUND, pages.error_page("404", "Страница не найдена")
            )

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        self.state.note_request("POST", path)
        form = self.read_form()
        if form is None:
            self.send_json(
                HTTPStatus.BAD_REQUEST,
                {
                    "error": "invalid_request",
                    "error_description": "ESIA-007014: Некорректное тело запроса",
                },
            )
        elif path == "/aas/oauth2/v2/ac":
            self.choose_account(form)
        elif path == "/aas/oauth2/v3/te":
            self.state.pause_back_channel()
            self.exchange_code(form)
        else:
            self.send_json(HTTPStatus.NOT_FOUND, {"error": "not_found"})

    # ----- /aas/oauth2/v2/ac -------------------------------------------------

    def _client_and_redirect(self, query: dict[str, str]) -> tuple[Client, str]:
        client_id = protocol.require(query, "client_id")
        client = self.state.clients.get(client_id)
        if client is None:
            raise ProtocolError(
                "unauthorized_client",
                "ESIA-007005",
                f"Информационная система {client_id} не зарегистрирована",
            )
        redirect_uri = protocol.require(query, "redirect_uri")
        if not client.allows_redirect(redirect_uri):
            raise ProtocolError(
                "invalid_request",
                "ESIA-007023",
                "Адрес возврата [redirect_uri] не разрешён",
            )
        return client, redirect_uri

    def authorize(self, query: dict[str, str]) -> None:
        try:
            client, redirect_uri = self._client_and_redirect(query)
        except ProtocolError as error:
            logger.info("Authorization request rejected: %s", error.code)
            self.send_html(
                HTTPStatus.BAD_REQUEST, pages.error_page(error.code, error.message)
            )
            return
        try:
            request = self._check_authorization(client, redirect_uri, query)
        except ProtocolError as error:
            logger.info(
                "Authorization request of %s rejected: %s", client.client_id, error.code
            )
            params = {"error": error.error, "error_description": error.description}
            if query.get("state"):
                params["state"] = query["state"]
            self.send_redirect(_with_query(redirect_uri, params))
            return
        ticket = self.state.open_ticket(request)
        self.send_html(
            HTTPStatus.OK,
            pages.sign_in_page(ticket, client.client_id, self.state.people.all()),
        )

    def _check_authorization(
        self, client: Client, redirect_uri: str, query: dict[str, str]
    ) -> AuthorizationRequest:
        if protocol.require(query, "response_type") != "code":
            raise protocol.malformed("response_type")
        scope = protocol.require(query, "scope")
        scopes = protocol.check_scopes(scope)
        state = protocol.require(query, "state")
        if not protocol.is_uuid4(state):
            raise protocol.malformed("state")
        timestamp = protocol.require(query, "timestamp")
        now = datetime.datetime.now(datetime.UTC)
        protocol.check_timestamp(timestamp, now)
        certificate_hash = protocol.require(query, "client_certificate_hash")
        client_secret = protocol.require(query, "client_secret")
        signed_text = client.client_id + scope + timestamp + state + redirect_uri
        protocol.check_client_signature(
            client, certificate_hash, client_secret, signed_text, now
        )
        return AuthorizationRequest(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            state=state,
            created_at=time.time(),
        )

    def choose_account(self, form: dict[str, str]) -> None:
        ticket = form.get("ticket", "")
        request = self.state.find_ticket(ticket)
        if request is None:
            self.send_html(
                HTTPStatus.BAD_REQUEST,
                pages.error_page(
                    "ESIA-007014",
                    "Сеанс входа истёк или не найден, начните вход заново",
                ),
            )
            return
        if form.get("action") == "cancel":
            self.state.close_ticket(ticket)
            params = {
                "error": "access_denied",
                "error_description": "ESIA-007004: Пользователь отказался от входа",
                "state": request.state,
            }
            self.send_redirect(_with_query(request.redirect_uri, params))
            return
        person, problem = self._selected_person(form)
        if person is None:
            page = pages.sign_in_page(
                ticket, request.client_id, self.state.people.all(), error=problem
            )
            self.send_html(HTTPStatus.OK, page)
            return
        self.state.close_ticket(ticket)
        code = self.state.issuer.issue_code(
            person, request.client_id, request.redirect_uri, request.scopes
        )
        logger.info("Issued a code for oid %s to %s", person.oid, request.client_id)
        self.send_redirect(
            _with_query(request.redirect_uri, {"code": code, "state": request.state})
        )

    def _selected_person(self, form: dict[str, str]) -> tuple[Person | None, str]:
        if form.get("oid"):
            person = self.state.people.by_oid(form["oid"])
            return person, "" if person else "Пользователь не найден."
        typed = form.get("snils", "").strip()
        if not typed:
            return None, "Выберите пользователя или введите СНИЛС."
        digits = re.sub(r"[\s\-]", "", typed)
        if not SNILS_DIGITS.match(digits):
            return None, f"СНИЛС «{typed}» должен состоять из 11 цифр."
        person = self.state.people.by_snils_digits(digits)
        if person is None:
            return None, f"Учётная запись со СНИЛС {typed} не найдена."
        return person, ""

    # ----- /aas/oauth2/v3/te -----------------------------------------------

    def exchange_code(self, form: dict[str, str]) -> None:
        try:
            person, record = self._check_exchange(form)
        except ProtocolError as error:
            logger.info("Token request rejected: %s", error.code)
            body = {"error": error.error, "error_description": error.description}
            if form.get("state"):
                body["state"] = form["state"]
            self.send_json(HTTPStatus.BAD_REQUEST, body)
            return
        tokens = self.state.issuer.issue_tokens(person, record)
        logger.info("Issued tokens for oid %s to %s", person.oid, record.client_id)
        self.send_json(
            HTTPStatus.OK,
            {
                "state": form["state"],
                "token_type": "Bearer",
                "expires_in": 3600,
                "refresh_token": tokens["refresh_token"],
                "id_token": tokens["id_token"],
                "access_token": tokens["access_token"],
            },
        )

    def _check_exchange(self, form: dict[str, str]) -> tuple[Person, AuthorizationCode]:
        values = _token_request_values(form)
        client = self.state.clients.get(values["client_id"])
        if client is None:
            raise ProtocolError(
                "unauthorized_client",
                "ESIA-007005",
                "Информационная система не зарегистрирована",
            )

        now = datetime.datetime.now(datetime.UTC)
        protocol.check_timestamp(values["timestamp"], now)
        signed_text = "".join(values[name] for name in TOKEN_SIGNED_FIELDS)
        protocol.check_client_signature(
            client,
            values["client_certificate_hash"],
            values["client_secret"],
            signed_text,
            now,
        )

        # A code is spent by any exchange attempt, even one rejected below.
        record = self.state.issuer.redeem_code(values["code"])
        invalid_code = ProtocolError(
            "invalid_grant",
            "ESIA-007011",
            "Код авторизации недействителен, просрочен или уже использован",
        )
        if record is None:
            raise invalid_code
        if (
            record.client_id != client.client_id
            or record.redirect_uri != values["redirect_uri"]
            or record.scopes != values["scope"].split(" ")
        ):
            raise invalid_code
        person = self.state.people.by_oid(record.oid)
        if person is None:
            raise invalid_code
        return person, record

    # ----- /rs/prns ----------------------------------------------------------

    def person_data(
        self,
        oid: str,
        collection: str | None,
        item_id: str | None,
        query: dict[str, str],
    ) -> None:
        authorization = self.headers.get("Authorization", "")
        token = authorization[7:] if authorization.startswith("Bearer ") else ""
        claims = self.state.issuer.read_access_token(token) if token else None
        if claims is None:
            self.send_json(
                HTTPStatus.UNAUTHORIZED,
                {"code": "ESIA-007011", "message": "Маркер доступа недействителен"},
            )
            return
        granted = _granted_scopes(claims)
        if str(claims["urn:esia:sbj_id"]) != oid:
            self._forbidden()
            return
        person = self.state.people.by_oid(oid)
        if person is None:
            self.send_json(HTTPStatus.NOT_FOUND, {"code": "not_found"})
            return
        if collection is None:
            if not granted & PERSON_SCOPES:
                self._forbidden()
                return
            self.send_json(HTTPStatus.OK, person_body(person, granted))
            return
        if collection == "ctts":
            if not granted & CONTACT_SCOPES:
                self._forbidden()
                return
            elements = contact_elements(person, granted)
        else:
            if not any(scope.startswith("kid_") for scope in granted):
                self._forbidden()
                return
            kids = [self.state.people.by_oid(kid_oid) for kid_oid in person.kids]
            elements = [kid_body(kid, granted) for kid in kids if kid is not None]
        self._send_collection(oid, collection, elements, item_id, query)

    def _send_collection(
        self,
        oid: str,
        collection: str,
        elements: list[dict[str, Any]],
        item_id: str | None,
        query: dict[str, str],
    ) -> None:
        if item_id is not None:
            found = [item for item in elements if str(item["id"]) == item_id]
            if found:
                self.send_json(HTTPStatus.OK, found[0])
            else:
                self.send_json(HTTPStatus.NOT_FOUND, {"code": "not_found"})
            return
        if query.get("embed") != "(elements)":
            host = self.headers.get("Host", "127.0.0.1")
            base = f"http://{host}/rs/prns/{oid}/{collection}"
            listed: list[Any] = [f"{base}/{item['id']}" for item in elements]
        else:
            listed = elements
        self.send_json(
            HTTPStatus.OK,
            {"stateFacts": ["hasSize"], "size": len(listed), "elements": listed},
        )

    def _forbidden(self) -> None:
        self.send_json(
            HTTPStatus.FORBIDDEN,
            {"code": "ESIA-007019", "message": "Нет прав доступа к запрошенным данным"},
        )

    # ----- /idp/ext/Logout ---------------------------------------------------

    def logout(self, query: dict[str, str]) -> None:
        client = self.state.clients.get(query.get("client_id", ""))
        redirect_url = query.get("redirect_url", "")
        if client is None or not client.allows_logout_redirect(redirect_url):
            self.send_html(
                HTTPStatus.BAD_REQUEST,
                pages.error_page(
                    "ESIA-007023", "Неизвестная система или адрес возврата после выхода"
                ),
            )
            return
        self.send_redirect(redirect_url)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: EmulatorState) -> None:
        super().__init__(address, EsiaRequestHandler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that stopped waiting (a timeout test with a slow back
        # channel) closed the socket before the response, which is no error.
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            logger.info("Client %s closed the connection first", client_address)
            return
        super().handle_error(request, client_address)


def make_server(
    host: str,
    port: int,
    data_dir: Path,
    issuer: str = DEFAULT_ISSUER,
    token_algorithm: str = RS256,
) -> EmulatorServer:
    """Create the server; port 0 picks a free port (see ``server_address``)."""
    state = EmulatorState(data_dir, issuer, token_algorithm)
    return EmulatorServer((host, port), state)
