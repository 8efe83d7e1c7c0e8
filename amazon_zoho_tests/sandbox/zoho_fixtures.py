"""Helpers for the Zoho sandbox tests: a running sandbox with the project's custom fields, an
authorised session, and a JSON-schema validator for Zoho's official OpenAPI 3 specs."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import requests

from amazon_zoho.sandbox import Sandbox, SandboxConfig
from amazon_zoho.sandbox.config import ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET, ZOHO_REFRESH_TOKEN

CRM = "/crm/v8"
SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "zoho"
_RAW_PREFIX = "https://raw.githubusercontent.com/Zohocorp-Pvt-Ltd/crm-oas/refs/heads/main/v8.0/"


def token_params(**overrides) -> dict:
    params = {"grant_type": "refresh_token", "refresh_token": ZOHO_REFRESH_TOKEN, "client_id": ZOHO_CLIENT_ID, "client_secret": ZOHO_CLIENT_SECRET}
    params.update(overrides)
    return params


def mint(sb: Sandbox) -> str:
    return requests.post(sb.url + "/oauth/v2/token", data=token_params(), timeout=10).json()["access_token"]


class Zoho:
    """A thin authorised session on the sandbox's Zoho CRM, with the URL prefix filled in."""

    def __init__(self, sb: Sandbox):
        self.sb = sb
        self.s = requests.Session()
        self.s.headers["Authorization"] = "Zoho-oauthtoken " + mint(sb)

    def url(self, path: str) -> str:
        return self.sb.url + (path if path.startswith("/_sandbox") or path.startswith("/oauth") else CRM + path)

    def get(self, path, **kw):
        return self.s.get(self.url(path), timeout=30, **kw)

    def post(self, path, **kw):
        return self.s.post(self.url(path), timeout=30, **kw)

    def put(self, path, **kw):
        return self.s.put(self.url(path), timeout=30, **kw)

    def delete(self, path, **kw):
        return self.s.delete(self.url(path), timeout=30, **kw)

    def upsert(self, module: str, records: list, **extra):
        return self.post(f"/{module}/upsert", json={"data": records, **extra})

    def records(self, module: str) -> list[dict]:
        return requests.get(self.sb.url + f"/_sandbox/zoho/records/{module}", timeout=10).json()["records"]

    def credits(self) -> dict:
        return requests.get(self.sb.url + "/_sandbox/zoho/credits", timeout=10).json()


@contextlib.contextmanager
def zoho_sandbox(tmp_path, custom_fields: bool = True, **knobs):
    with Sandbox(port=0, config=SandboxConfig().updated(knobs), state_dir=tmp_path) as sb:
        if custom_fields:
            requests.post(sb.url + "/_sandbox/zoho/install_custom_fields", timeout=10).raise_for_status()
        yield sb, Zoho(sb)


def seed_order(z: Zoho, order_id: str = "028-0000001-0000001", lines: int = 2) -> tuple[dict, list[str]]:
    """A contact, `lines` products and the body of a sales order referencing them."""
    contact = z.upsert("Contacts", [{"Last_Name": "Buyer", "Amazon_Buyer_Key": "buyer-1"}]).json()["data"][0]["details"]["id"]
    products = z.upsert("Products", [{"Product_Name": f"Item {n}", "Amazon_SKU": f"SKU-{n}", "Unit_Price": 10.0 + n} for n in range(lines)])
    product_ids = [r["details"]["id"] for r in products.json()["data"]]
    order = {
        "Subject": f"Amazon {order_id}",
        "Amazon_Order_ID": order_id,
        "Contact_Name": {"id": contact},
        "Status": "Created",
        "Ordered_Items": [{"Product_Name": {"id": pid}, "Quantity": 1, "List_Price": 10.0} for pid in product_ids],
    }
    return order, product_ids


# -- contract validation against the official OpenAPI 3 specs ---------------------------------
def _load(name: str) -> dict:
    return json.loads((SPECS / name).read_text())


def _convert(node, doc: str, docs: dict):
    """OpenAPI 3.0 schema -> JSON Schema: inline $refs (local and cross-file), turn `nullable` into a
    null type. Files the reference set does not include (tags.json, layouts.json) become `{}`."""
    if isinstance(node, list):
        return [_convert(n, doc, docs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        ref = node["$ref"]
        target_doc, _, pointer = ref.partition("#")
        target_doc = target_doc.replace(_RAW_PREFIX, "") or doc
        if not (SPECS / target_doc).exists():
            return {}
        if target_doc not in docs:
            docs[target_doc] = _load(target_doc)
        key = (target_doc, pointer)
        if key in docs.setdefault("__seen__", set()):
            return {}  # recursive schema (HistoryTrackingModule.module): stop one level down
        docs["__seen__"].add(key)
        target = docs[target_doc]
        for part in pointer.strip("/").split("/"):
            target = target[part]
        out = _convert(target, target_doc, docs)
        docs["__seen__"].discard(key)
        return out
    out = {k: _convert(v, doc, docs) for k, v in node.items() if k not in ("nullable", "format", "example")}
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = list(out["enum"]) + [None]
    return out


def schema(spec: str, pointer: str) -> dict:
    """The JSON Schema at `pointer` (e.g. '/components/schemas/Success_Response') of `spec`."""
    docs = {spec: _load(spec)}
    return _convert({"$ref": f"{spec}#{pointer}"}, spec, docs)


def response_schema(spec: str, path: str, method: str, status: str = "200") -> dict:
    docs = {spec: _load(spec)}
    response = docs[spec]["paths"][path][method]["responses"][status]
    response = _convert(response, spec, docs)
    return response["content"]["application/json"]["schema"]
