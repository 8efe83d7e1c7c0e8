"""Zoho's per-record answers are matched to the records they answer, or refused (issue #14 item 2); nested
errors are unwrapped; a 200 that is not JSON is retried (item 13); text is fitted to the org's field lengths
without splitting a character (item 1). Answer shapes follow record.json (Success_Response, API_Exception) and
API-FACTS §8 in /work/shared/reference."""

import pytest
import requests

from amazon_zoho.http.errors import RetryableError
from amazon_zoho.zoho.client import ANSWER_ATTEMPTS, BODY_START, AnswerMismatch, ZohoCrmClient, checked_answers, unwrap_errors
from amazon_zoho.zoho.fit import fit, fit_payload, text_lengths, units


def ok(record_id: str, action: str = "insert") -> dict:
    return {"code": "SUCCESS", "action": action, "duplicate_field": None, "details": {"id": record_id}, "message": "record added", "status": "success"}


def invalid(index: int, api_name: str = "Product_Name", **extra) -> dict:
    return {"code": "INVALID_DATA", "details": {"api_name": api_name, "json_path": f"$.data[{index}].{api_name}", **extra},
            "message": "invalid data", "status": "error"}


RECORDS = [{"Amazon_SKU": "A"}, {"Amazon_SKU": "B"}, {"Amazon_SKU": "C"}]


def test_an_answer_that_fits_its_batch_is_returned_in_order():
    answers = [ok("1"), invalid(1), ok("3")]
    assert checked_answers("upsert", RECORDS, {"data": answers}) == answers


@pytest.mark.parametrize("answers, why", [
    ([invalid(1), ok("3")], "2 results for 3 records"),  # the first result dropped: every other one shifts a place
    ([ok("1"), ok("2"), ok("3"), ok("4")], "4 results for 3 records"),
    ([ok("1"), ok("3"), invalid(1)], "result 2 is about record 1"),  # an error naming another record's json_path
    ([ok("1"), ok("1"), ok("3")], "the same id"),
])
def test_an_answer_that_does_not_fit_its_batch_is_refused(answers, why):
    with pytest.raises(AnswerMismatch, match=why):
        checked_answers("upsert", RECORDS, {"data": answers})


def test_an_update_answered_with_another_records_id_is_refused():
    with pytest.raises(AnswerMismatch, match="about record 9, record 0 is 1"):
        checked_answers("update", [{"id": "1"}], {"data": [ok("9", "update")]})
    assert checked_answers("update", [{"id": 1}], {"data": [ok("1", "update")]})[0]["details"]["id"] == "1"


def test_an_answer_without_a_data_array_is_refused():
    with pytest.raises(AnswerMismatch):
        checked_answers("upsert", RECORDS, {"code": "INTERNAL_ERROR"})


def test_multiple_errors_are_unwrapped_and_a_nested_duplicate_decides():
    clash = {"code": "DUPLICATE_DATA", "message": "duplicate data",
             "details": {"api_name": "Product_Code", "json_path": "$.data[0].Product_Code",
                         "duplicate_record": {"id": "77", "module": {"api_name": "Products"}}}}
    answer = {"code": "MULTIPLE_OR_MULTI_ERRORS", "message": "multiple errors", "status": "error",
              "details": {"errors": [invalid(0, "Product_Name", maximum_length="120"), clash]}}
    [unwrapped] = checked_answers("upsert", RECORDS[:1], {"data": [answer]})
    assert unwrapped["code"] == "DUPLICATE_DATA"
    assert unwrapped["details"]["duplicate_record"]["id"] == "77", "adoption reads the clashing record's id here"
    assert unwrapped["details"]["errors"] == [invalid(0, "Product_Name", maximum_length="120")], "the other error keeps its field"
    assert "INVALID_DATA Product_Name" in unwrapped["message"] and "DUPLICATE_DATA Product_Code" in unwrapped["message"]
    assert unwrap_errors(invalid(0)) == invalid(0)


def test_nested_errors_naming_another_record_are_refused():
    answer = {"code": "MULTIPLE_OR_MULTI_ERRORS", "status": "error", "details": {"errors": [invalid(1)]}}
    with pytest.raises(AnswerMismatch):
        checked_answers("upsert", RECORDS[:2], {"data": [answer, ok("2")]})


class _Tokens:
    last_response: dict = {}

    def token(self) -> str:
        return "secret-access-token"

    def invalidate(self, token: str) -> None:
        pass


class _Session:
    def __init__(self, *answers: tuple[int, bytes, str]):
        self.answers, self.calls = list(answers), 0

    def request(self, method, url, **kwargs) -> requests.Response:
        status, body, content_type = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        response = requests.Response()
        response.status_code, response._content, response.headers["Content-Type"] = status, body, content_type
        return response


def _client(session) -> ZohoCrmClient:
    return ZohoCrmClient(_Tokens(), session, api_domain="https://zoho.invalid", max_attempts=2)


def test_a_200_html_page_is_retried_then_reported_with_its_status_and_start(monkeypatch):
    monkeypatch.setattr("amazon_zoho.http.retry._jitter", lambda state: 0)
    page = b"<!DOCTYPE html><html><body>" + b"x" * 5000 + b"</body></html>"
    session = _Session((200, page, "text/html"))
    with pytest.raises(RetryableError) as raised:
        _client(session).upsert("Products", RECORDS, ["Amazon_SKU"])
    assert session.calls == 2, "retried like a 5xx"
    assert raised.value.status == 200 and "text/html" in raised.value.body and "<!DOCTYPE html>" in raised.value.body
    assert len(raised.value.body) < BODY_START + 100, "only the body's start"
    assert "secret-access-token" not in str(raised.value)


def test_an_empty_200_is_retried_and_a_good_answer_after_it_is_used(monkeypatch):
    monkeypatch.setattr("amazon_zoho.http.retry._jitter", lambda state: 0)
    good = b'{"data": [{"code": "SUCCESS", "status": "success", "action": "insert", "details": {"id": "5"}, "message": "record added"}]}'
    session = _Session((200, b"", "application/json"), (200, good, "application/json"))
    assert _client(session).upsert("Products", RECORDS[:1], ["Amazon_SKU"])[0]["details"]["id"] == "5"
    assert session.calls == 2


def test_a_short_answer_is_sent_again_not_mapped(monkeypatch):
    monkeypatch.setattr("amazon_zoho.http.retry._jitter", lambda state: 0)
    short = b'{"data": [{"code": "SUCCESS", "status": "success", "details": {"id": "6"}}]}'
    session = _Session((207, short, "application/json"))
    with pytest.raises(AnswerMismatch):
        _client(session).upsert("Products", RECORDS[:2], ["Amazon_SKU"])
    assert session.calls == ANSWER_ATTEMPTS, "sent again a few times, then refused"


# -- fitting text to field lengths -----------------------------------------------------------------
def test_text_longer_than_its_field_is_cut_at_a_character_and_marked():
    title = "Edelstahl Küchenwaage " * 10
    cut = fit(title, 120)
    assert units(cut) == len(cut) <= 120 and cut.endswith("…") and title.startswith(cut[:-1].rstrip())
    assert fit("short", 120) == "short"
    assert fit("x" * 120, 120) == "x" * 120


@pytest.mark.parametrize("tail", ["😀", "e\u0301", "👍🏽", "🇩🇪", "👨\u200d👩\u200d👧", "❤\ufe0f"])
def test_a_cut_never_splits_a_surrogate_pair_or_a_grapheme(tail):
    text = "a" * 117 + tail * 3
    cut = fit(text, 120)
    assert units(cut) <= 120
    kept = cut[:-1]
    assert kept in ("a" * 117, "a" * 117 + tail), kept[-3:]
    cut.encode("utf-8")  # a lone surrogate would not encode


def test_emoji_count_as_two_characters_as_java_strings_count_them():
    assert units("😀") == 2 and units("é") == 1


def test_fit_payload_cuts_text_fields_only_never_the_key():
    fields = [{"api_name": "Product_Name", "data_type": "text", "length": 10}, {"api_name": "Amazon_SKU", "data_type": "text", "length": 5},
              {"api_name": "Email", "data_type": "email", "length": 5}, {"api_name": "Unit_Price", "data_type": "currency", "length": 16}]
    lengths = text_lengths(fields)
    assert lengths == {"Product_Name": 10, "Amazon_SKU": 5}
    payload = {"Product_Name": "A very long product title", "Amazon_SKU": "SKU-123456", "Email": "a@b.example", "Unit_Price": 9.9}
    fitted, cut = fit_payload(payload, lengths, keep={"Amazon_SKU"})
    assert cut == ["Product_Name"] and fitted["Product_Name"] == "A very lo…"
    assert fitted["Amazon_SKU"] == "SKU-123456" and fitted["Email"] == "a@b.example"
    assert payload["Product_Name"] == "A very long product title", "the caller's payload is left whole"
