"""#14 item 3: a secret comes back from servers in more spellings than the one we hold. Every encoding our requests
can carry it in is redacted, and a refused token refresh reports status and error code, never the answer's body."""

import base64
import json
import re
from urllib.parse import quote, quote_plus, urlencode

import pytest
import requests

from amazon_zoho.http.errors import ApiError, encodings, redact, register_basic_auth, register_secret
from amazon_zoho.http.oauth import RefreshTokenProvider
from amazon_zoho.sandbox.config import LWA_CLIENT_ID, LWA_CLIENT_SECRET, LWA_REFRESH_TOKEN

# The shape of an LWA refresh token (Atzr|...) with every character that changes under some encoding.
TRICKY = 'Atzr|IwEBI+x/y=z"q\\w é&k'


def spellings(secret: str) -> list[str]:
    """Independently of the code under test: how requests, JSON encoders and Basic auth write a value."""
    return [
        secret,
        urlencode({"t": secret})[2:],  # what requests sends for data={...}
        quote(secret, safe=""),
        re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(secret, safe="")),  # RFC 3986 §2.1: either case
        json.dumps(secret)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        json.dumps(secret, ensure_ascii=False)[1:-1],
        base64.b64encode(secret.encode()).decode(),
    ]


@pytest.mark.parametrize("spelling", spellings(TRICKY))
def test_every_spelling_of_a_registered_secret_is_redacted(spelling):
    register_secret(TRICKY)
    assert TRICKY in encodings(TRICKY)
    text = f"upstream said: <pre>grant_type=refresh_token&refresh_token={spelling}&x=1</pre>"
    assert spelling not in redact(text) and "***" in redact(text)
    assert spelling not in str(ApiError("amazon", "op", 502, text))


def test_basic_auth_pair_is_redacted():
    register_basic_auth("amzn1.application-oa2-client.abc", TRICKY)
    header = base64.b64encode(f"amzn1.application-oa2-client.abc:{TRICKY}".encode()).decode()
    assert header not in redact(f"Authorization: Basic {header}")


def test_a_refused_refresh_carries_status_and_error_code_only(sandbox):
    provider = RefreshTokenProvider("amazon", sandbox.url + "/auth/o2/token", LWA_CLIENT_ID, LWA_CLIENT_SECRET,
                                    LWA_REFRESH_TOKEN + "-revoked", requests.Session())
    with pytest.raises(ApiError) as refused:
        provider.token()
    assert refused.value.status == 400 and refused.value.body == "error=invalid_grant"

    sandbox.app.set_config({"fault_lwa_echo_body_rate": 1.0})
    provider = RefreshTokenProvider("amazon", sandbox.url + "/auth/o2/token", LWA_CLIENT_ID, LWA_CLIENT_SECRET,
                                    LWA_REFRESH_TOKEN, requests.Session())
    with pytest.raises(ApiError) as echoed:
        provider.token()
    assert echoed.value.status == 502 and "body withheld" in str(echoed.value)
    # The sandbox did echo the form body: the fault bites, and the message holds none of it.
    echo = requests.post(sandbox.url + "/auth/o2/token", data={"refresh_token": LWA_REFRESH_TOKEN, "grant_type": "refresh_token"}, timeout=10)
    assert quote_plus(LWA_REFRESH_TOKEN) in echo.text and json.dumps(LWA_REFRESH_TOKEN)[1:-1] in echo.text
    assert not [s for s in spellings(LWA_REFRESH_TOKEN) + spellings(LWA_CLIENT_SECRET) if s in str(echoed.value)]
