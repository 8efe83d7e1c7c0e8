"""The sandbox's Zoho enforces field lengths as Zoho does, and deals the faults of issue #14 on request:
answers one result short, 200s that are HTML, and an org whose text fields are shorter than Zoho's defaults.

Length errors: INVALID_DATA with details {api_name, json_path, expected_data_type, maximum_length} (record.json
API_Exception lists maximum_length, typed as a string, in /work/shared/reference/zoho; insert-records docs v3-v8:
"The 'INVALID_DATA' error is thrown if the field value length is more than the maximum length defined for that field")."""

from __future__ import annotations

from amazon_zoho_tests.sandbox.zoho_fixtures import zoho_sandbox


def _product(name: str, sku: str) -> dict:
    return {"Product_Name": name, "Amazon_SKU": sku}


def test_a_product_name_longer_than_its_120_characters_is_invalid_data_with_the_maximum_length(tmp_path):
    with zoho_sandbox(tmp_path) as (sb, z):
        answer = z.upsert("Products", [_product("x" * 120, "SKU-1"), _product("x" * 121, "SKU-2"), _product("é" * 120, "SKU-3")],
                          duplicate_check_fields=["Amazon_SKU"])
        assert answer.status_code == 207
        fits, too_long, accented = answer.json()["data"]
        assert fits["status"] == "success" and accented["status"] == "success", "Zoho counts characters, not bytes"
        assert too_long == {"code": "INVALID_DATA", "message": "invalid data", "status": "error",
                            "details": {"api_name": "Product_Name", "json_path": "$.data[1].Product_Name", "expected_data_type": "text",
                                        "maximum_length": "120"}}
        meta = {f["api_name"]: f for f in z.get("/settings/fields", params={"module": "Products"}).json()["fields"]}
        assert meta["Product_Name"]["length"] == 120, "the length the client reads is the one enforced"


def test_the_text_field_length_knob_shortens_standard_text_fields_in_metadata_and_enforcement(tmp_path):
    with zoho_sandbox(tmp_path, zoho_text_field_length=20) as (sb, z):
        meta = {f["api_name"]: f for f in z.get("/settings/fields", params={"module": "Products"}).json()["fields"]}
        assert meta["Product_Name"]["length"] == 20
        assert meta["Amazon_SKU"]["length"] == 100, "custom fields keep their own lengths"
        refused = z.upsert("Products", [_product("y" * 21, "SKU-1")], duplicate_check_fields=["Amazon_SKU"]).json()["data"][0]
        assert refused["details"]["maximum_length"] == "20"
        sb.app.set_config({"zoho_text_field_length": 0})
        assert z.upsert("Products", [_product("y" * 21, "SKU-1")], duplicate_check_fields=["Amazon_SKU"]).json()["data"][0]["status"] == "success"


def test_a_short_answer_writes_every_record_but_drops_the_first_result(tmp_path):
    with zoho_sandbox(tmp_path, fault_zoho_short_answer_rate=1.0) as (sb, z):
        answer = z.upsert("Products", [_product(f"P{n}", f"SKU-{n}") for n in range(3)], duplicate_check_fields=["Amazon_SKU"]).json()
        held = {r["Amazon_SKU"]: r["id"] for r in z.records("Products")}
        assert len(held) == 3 and len(answer["data"]) == 2
        assert answer["data"][0]["details"]["id"] == held["SKU-1"], "each result sits one place before its record"
        one = z.upsert("Products", [_product("P9", "SKU-9")], duplicate_check_fields=["Amazon_SKU"]).json()
        assert len(one["data"]) == 1, "a one-record answer is left whole: it could not be matched wrongly"


def test_an_html_200_is_answered_after_the_credits_are_charged(tmp_path):
    with zoho_sandbox(tmp_path, fault_zoho_html_200_rate=1.0) as (sb, z):
        before = z.credits()["used_24h"]
        answer = z.upsert("Products", [_product("P", "SKU-1")], duplicate_check_fields=["Amazon_SKU"])
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/html")
        assert answer.text.startswith("<!DOCTYPE html>")
        assert z.credits()["used_24h"] > before
