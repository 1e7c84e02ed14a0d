"""The emulator over real HTTP: /ac, /te, /rs/prns and logout."""

from __future__ import annotations

import datetime
import time
import uuid
from urllib.parse import urlencode

import requests

from esia_emulator.testing import RunningEmulator
from esia_emulator.tests.helpers import (
    MOTHER,
    REDIRECT_URI,
    SON,
    RegisteredSystem,
    callback_params,
    jwt_parts,
    timestamp,
)


def test_sign_in_page_lists_people(system: RegisteredSystem) -> None:
    page = system.authorize()

    assert page.status_code == 200
    assert "Иванова Мария Ивановна — мама Пети Иванова, 5А" in page.text
    assert "Родители и законные представители" in page.text
    assert "Ученики" in page.text
    assert "name='snils'" in page.text
    assert "Отмена" in page.text


def test_choosing_person_returns_code_and_state(system: RegisteredSystem) -> None:
    params = system.authorization_params()
    page = system.authorize(**params)
    answer = system.choose(page, oid=MOTHER["oid"])

    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(REDIRECT_URI + "?")
    callback = callback_params(answer)
    assert callback["state"] == params["state"]
    header, claims = jwt_parts(callback["code"])
    assert header["sbt"] == "authorization_code"
    assert claims["exp"] - claims["iat"] == 240


def test_typed_snils_selects_person(system: RegisteredSystem) -> None:
    page = system.authorize()
    answer = system.choose(page, action="snils", snils="11223344595")

    assert answer.status_code == 302
    code = callback_params(answer)["code"]
    assert jwt_parts(code)[1]["urn:esia:sbj"]["urn:esia:sbj:oid"] == 1000300001


def test_unknown_snils_shows_error(system: RegisteredSystem) -> None:
    page = system.authorize()
    answer = system.choose(page, action="snils", snils="123-456-789 64")

    assert answer.status_code == 200
    assert "Учётная запись со СНИЛС 123-456-789 64 не найдена." in answer.text


def test_malformed_snils_shows_error(system: RegisteredSystem) -> None:
    page = system.authorize()
    answer = system.choose(page, action="snils", snils="12-34")

    assert answer.status_code == 200
    assert "должен состоять из 11 цифр" in answer.text


def test_cancel_returns_access_denied(system: RegisteredSystem) -> None:
    params = system.authorization_params()
    page = system.authorize(**params)
    answer = system.choose(page, action="cancel")

    callback = callback_params(answer)
    assert callback["error"] == "access_denied"
    assert callback["error_description"].startswith("ESIA-007004")
    assert callback["state"] == params["state"]


def test_unregistered_redirect_uri_shows_page(system: RegisteredSystem) -> None:
    answer = system.authorize(redirect_uri="http://127.0.0.1:9/other")

    assert answer.status_code == 400
    assert "ESIA-007023" in answer.text


def test_unknown_client_shows_page(system: RegisteredSystem) -> None:
    answer = system.authorize(client_id="NOBODY")

    assert answer.status_code == 400
    assert "ESIA-007005" in answer.text


def _error_of(answer: requests.Response) -> dict[str, str]:
    assert answer.status_code == 302
    return callback_params(answer)


def test_wrong_secret_redirects_with_007053(system: RegisteredSystem) -> None:
    other = system.authorization_params()
    answer = system.authorize(client_secret=other["client_secret"])

    error = _error_of(answer)
    assert error["error"] == "unauthorized_client"
    assert error["error_description"].startswith("ESIA-007053")


def test_wrong_certificate_hash_redirects_with_007002(system: RegisteredSystem) -> None:
    answer = system.authorize(client_certificate_hash="AB" * 32)

    assert _error_of(answer)["error_description"].startswith("ESIA-007002")


def test_missing_state_redirects_with_007014(system: RegisteredSystem) -> None:
    answer = system.authorize(state="")

    error = _error_of(answer)
    assert error["error_description"].startswith("ESIA-007014")
    assert "state" not in error


def test_non_uuid4_state_is_rejected(system: RegisteredSystem) -> None:
    state = str(uuid.uuid1())
    error = _error_of(system.authorize(state=state))

    assert "[state]" in error["error_description"]
    assert error["state"] == state


def test_old_timestamp_redirects_with_007015(system: RegisteredSystem) -> None:
    old = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=10)
    error = _error_of(system.authorize(timestamp=timestamp(old)))

    assert error["error_description"].startswith("ESIA-007015")


def test_iso_timestamp_is_malformed(system: RegisteredSystem) -> None:
    iso = datetime.datetime.now(datetime.UTC).isoformat()
    error = _error_of(system.authorize(timestamp=iso))

    assert "[timestamp]" in error["error_description"]


def test_scope_without_openid_is_rejected(system: RegisteredSystem) -> None:
    error = _error_of(system.authorize(scope="fullname snils"))

    assert error["error_description"].startswith("ESIA-007006")


def test_unknown_scope_is_rejected(system: RegisteredSystem) -> None:
    error = _error_of(system.authorize(scope="openid fullname secret_data"))

    assert "secret_data" in error["error_description"]


def test_exchange_returns_esia_shaped_tokens(system: RegisteredSystem) -> None:
    code = system.sign_in(MOTHER["oid"])["code"]
    form = system.token_form(code)
    answer = requests.post(f"{system.base_url}/aas/oauth2/v3/te", data=form, timeout=10)

    assert answer.status_code == 200
    body = answer.json()
    assert body["state"] == form["state"]
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    uuid.UUID(body["refresh_token"])

    access_header, access = jwt_parts(body["access_token"])
    assert access_header == {"ver": 1, "typ": "JWT", "sbt": "access", "alg": "RS256"}
    assert access["urn:esia:sbj_id"] == 1000300001
    assert "fullname?oid=1000300001" in access["scope"].split()
    assert "openid" in access["scope"].split()
    assert access["iss"] == "http://esia.gosuslugi.ru/"
    assert access["client_id"] == "TESTIS"
    assert "aud" not in access
    assert access["exp"] - access["iat"] == 3600

    id_header, id_claims = jwt_parts(body["id_token"])
    assert id_header["sbt"] == "id"
    assert "kid" not in id_header
    assert id_claims["aud"] == "TESTIS"
    assert id_claims["sub"] == 1000300001
    assert id_claims["urn:esia:sbj"]["urn:esia:sbj:is_tru"] is True
    assert id_claims["urn:esia:sbj"]["urn:esia:sbj:lvl"] == "PR"


def test_unconfirmed_account_has_no_is_tru(system: RegisteredSystem) -> None:
    code = system.sign_in(SON["oid"])["code"]
    body = system.exchange(code).json()
    subject = jwt_parts(body["id_token"])[1]["urn:esia:sbj"]

    assert "urn:esia:sbj:is_tru" not in subject
    assert subject["urn:esia:sbj:lvl"] == "KD"


def test_code_is_single_use(system: RegisteredSystem) -> None:
    code = system.sign_in(MOTHER["oid"])["code"]
    assert system.exchange(code).status_code == 200

    again = system.exchange(code)
    assert again.status_code == 400
    assert again.json()["error_description"].startswith("ESIA-007011")


def test_code_for_other_redirect_uri_is_rejected(
    system: RegisteredSystem, emulator: RunningEmulator
) -> None:
    other_uri = "http://127.0.0.1:9/second"
    emulator.register("TESTIS", [REDIRECT_URI, other_uri], system.certificate_pem)
    code = system.sign_in(MOTHER["oid"])["code"]
    answer = system.exchange(code, redirect_uri=other_uri)

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_forged_code_is_rejected(system: RegisteredSystem) -> None:
    answer = system.exchange("eyJhbGciOiJub25lIn0.e30.")

    assert answer.status_code == 400
    assert answer.json()["error_description"].startswith("ESIA-007011")


def test_exchange_with_bad_secret_is_rejected(system: RegisteredSystem) -> None:
    code = system.sign_in(MOTHER["oid"])["code"]
    answer = system.exchange(code, client_secret=system.secret("something else"))

    assert answer.status_code == 400
    assert answer.json()["error_description"].startswith("ESIA-007053")


def test_exchange_without_code_names_field(system: RegisteredSystem) -> None:
    answer = system.exchange("")

    assert answer.status_code == 400
    assert "[code]" in answer.json()["error_description"]


def _tokens(system: RegisteredSystem, oid: str) -> dict[str, str]:
    code = system.sign_in(oid)["code"]
    answer = system.exchange(code)
    assert answer.status_code == 200
    return answer.json()


def test_person_data_formats(system: RegisteredSystem) -> None:
    token = _tokens(system, MOTHER["oid"])["access_token"]
    answer = system.get(f"/rs/prns/{MOTHER['oid']}", token)

    assert answer.status_code == 200
    body = answer.json()
    assert body["lastName"] == "Иванова"
    assert body["birthDate"] == "01.06.1985"
    assert body["snils"] == "112-233-445 95"
    assert body["trusted"] is True
    assert body["gender"] == "F"


def test_contacts_embedded(system: RegisteredSystem) -> None:
    token = _tokens(system, MOTHER["oid"])["access_token"]
    answer = system.get(f"/rs/prns/{MOTHER['oid']}/ctts?embed=(elements)", token)

    elements = answer.json()["elements"]
    by_type = {element["type"]: element for element in elements}
    assert by_type["EML"]["value"] == "maria@example.ru"
    assert by_type["EML"]["vrfStu"] == "VERIFIED"
    assert by_type["MBT"]["value"] == "+7(900)0000001"


def test_contacts_without_embed_are_urls(system: RegisteredSystem) -> None:
    token = _tokens(system, MOTHER["oid"])["access_token"]
    answer = system.get(f"/rs/prns/{MOTHER['oid']}/ctts", token)

    body = answer.json()
    assert body["size"] == 2
    assert all(item.startswith("http://") for item in body["elements"])
    single = requests.get(
        body["elements"][0],
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert single.json()["type"] == "EML"


def test_kids_embedded(system: RegisteredSystem) -> None:
    token = _tokens(system, MOTHER["oid"])["access_token"]
    answer = system.get(f"/rs/prns/{MOTHER['oid']}/kids?embed=(elements)", token)

    kids = answer.json()["elements"]
    assert [kid["id"] for kid in kids] == ["1000300002"]
    assert kids[0]["firstName"] == "Пётр"
    assert "birthDate" not in kids[0]


def test_foreign_oid_is_forbidden(system: RegisteredSystem) -> None:
    token = _tokens(system, MOTHER["oid"])["access_token"]

    assert system.get(f"/rs/prns/{SON['oid']}", token).status_code == 403


def test_scope_not_granted_is_forbidden(
    system: RegisteredSystem, emulator: RunningEmulator
) -> None:
    code_params = system.authorization_params(scope="openid fullname")
    page = system.authorize(**code_params)
    code = callback_params(system.choose(page, oid=MOTHER["oid"]))["code"]
    token = system.exchange(code, scope="openid fullname").json()["access_token"]

    assert system.get(f"/rs/prns/{MOTHER['oid']}", token).status_code == 200
    assert system.get(f"/rs/prns/{MOTHER['oid']}/ctts", token).status_code == 403
    assert system.get(f"/rs/prns/{MOTHER['oid']}/kids", token).status_code == 403
    assert "snils" not in system.get(f"/rs/prns/{MOTHER['oid']}", token).json()


def test_missing_token_is_unauthorized(system: RegisteredSystem) -> None:
    answer = requests.get(f"{system.base_url}/rs/prns/{MOTHER['oid']}", timeout=10)

    assert answer.status_code == 401


def test_logout_redirects_to_registered_origin(system: RegisteredSystem) -> None:
    answer = requests.get(
        f"{system.base_url}/idp/ext/Logout",
        params={"client_id": "TESTIS", "redirect_url": "http://127.0.0.1:9/"},
        allow_redirects=False,
        timeout=10,
    )

    assert answer.status_code == 302
    assert answer.headers["Location"] == "http://127.0.0.1:9/"


def test_logout_to_foreign_site_is_refused(system: RegisteredSystem) -> None:
    answer = requests.get(
        f"{system.base_url}/idp/ext/Logout",
        params={"client_id": "TESTIS", "redirect_url": "http://evil.example/"},
        allow_redirects=False,
        timeout=10,
    )

    assert answer.status_code == 400


def test_people_file_is_reread(
    system: RegisteredSystem, emulator: RunningEmulator
) -> None:
    renamed = {**MOTHER, "label": "Новая подпись"}
    time.sleep(0.01)
    emulator.write_people([renamed, SON])

    assert "Новая подпись" in system.authorize().text


def test_duplicated_parameter_is_rejected(system: RegisteredSystem) -> None:
    params = system.authorization_params()
    query = urlencode(params) + "&scope=openid"

    answer = requests.get(
        f"{system.base_url}/aas/oauth2/v2/ac?{query}",
        allow_redirects=False,
        timeout=10,
    )

    error = _error_of(answer)
    assert error["error_description"] == (
        "ESIA-007014: Параметр [scope] передан несколько раз"
    )
