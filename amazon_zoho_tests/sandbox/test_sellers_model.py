"""The Sellers API the doctor reads, against Amazon's own model rather than our sandbox alone: the sandbox's answer
validates against the model's GetMarketplaceParticipationsResponse and carries its usage plan, and the doctor reads
the model's own example answer right. Fixture: amazon_zoho_tests/amazon/fixtures/amazon_sellers_model.json (its
_source line names the file and commit of amzn/selling-partner-api-models it is copied from)."""

import json
from pathlib import Path
from types import SimpleNamespace

import jsonschema

from amazon_zoho.amazon.doctor import participations
from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho_tests.sandbox.reports_fixtures import session

MODEL = json.loads((Path(__file__).parents[1] / "amazon" / "fixtures" / "amazon_sellers_model.json").read_text())


def _validator(definition: str) -> jsonschema.Draft7Validator:
    # The model writes countryCode's pattern as a JavaScript literal (/^([A-Z]{2})$/); JSON Schema wants the bare regex.
    definitions = json.loads(json.dumps(MODEL["definitions"]).replace('"/^([A-Z]{2})$/"', '"^([A-Z]{2})$"'))
    return jsonschema.Draft7Validator({"$ref": f"#/definitions/{definition}", "definitions": definitions})


def test_the_sandbox_answers_as_amazon_s_model_says(tmp_path):
    with Sandbox(port=0, config=SandboxConfig(marketplaces=["A1PA6795UKMFR9", "A1F83G8C2ARO7P"]), state_dir=tmp_path) as sb:
        answer = session(sb).get(sb.url + "/sellers/v1/marketplaceParticipations")
    assert [e.message for e in _validator("GetMarketplaceParticipationsResponse").iter_errors(answer.json())] == []
    assert answer.json()["payload"], "an answer with no participation would validate and prove nothing"
    assert float(answer.headers["x-amzn-RateLimit-Limit"]) == MODEL["usage_plan"]["rate"]


def test_the_doctor_reads_the_model_s_own_example():
    example = MODEL["example_200"]
    assert [e.message for e in _validator("GetMarketplaceParticipationsResponse").iter_errors(example)] == []
    client = SimpleNamespace(call=lambda *args, **kwargs: SimpleNamespace(body=example))
    assert participations(client, ["ATVPDKIKX0DER"]).ok is True
    missing = participations(client, ["A2EUQ1WTGCTBG2"])  # Amazon.ca: not in the example's answer
    assert missing.ok is False and "does not sell there" in missing.todo
