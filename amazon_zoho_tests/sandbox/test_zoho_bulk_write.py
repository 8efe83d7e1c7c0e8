"""The sandbox's Zoho Bulk Write API (bulk_write.json; API-FACTS §9) over real HTTP: zipped CSV upload,
job, poll, result file; parent-child line items; the same validation as the records API; 500 credits."""

import csv
import io
import time
import zipfile

import jsonschema
import pytest
import requests

from amazon_zoho_tests.sandbox.zoho_fixtures import SPECS, Zoho, schema, zoho_sandbox

ORG = "20099999999"


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _upload(z: Zoho, data: bytes, headers: dict | None = None) -> requests.Response:
    headers = {"feature": "bulk-write", "X-CRM-ORG": ORG} if headers is None else headers
    return z.post("/upload", files={"file": ("records.zip", data, "application/zip")}, headers=headers)


def _run(z: Zoho, body: dict) -> dict:
    created = z.s.post(z.sb.url + "/crm/bulk/v8/write", json=body, timeout=30)
    assert created.status_code == 201, created.text
    job_id = created.json()["details"]["id"]
    for _ in range(200):
        job = z.s.get(z.sb.url + f"/crm/bulk/v8/write/{job_id}", timeout=30).json()
        if job["status"] in ("COMPLETED", "FAILED"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def _result_rows(z: Zoho, job: dict) -> list[dict]:
    data = z.s.get(job["result"]["download_url"], timeout=30)
    assert data.status_code == 200 and data.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(data.content)) as archive:
        [name] = archive.namelist()
        return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


def _contacts_job(file_id: str, find_by: str = "Amazon_Buyer_Key") -> dict:
    mappings = [{"api_name": "Amazon_Buyer_Key", "index": 0}, {"api_name": "Last_Name", "index": 1}, {"api_name": "Email", "index": 2}]
    return {"operation": "upsert",
            "resource": [{"type": "data", "module": {"api_name": "Contacts"}, "file_id": file_id, "find_by": find_by, "field_mappings": mappings}]}


def test_upsert_job_writes_records_and_answers_per_row_in_file_order(tmp_path):
    with zoho_sandbox(tmp_path) as (sb, z):
        z.upsert("Contacts", [{"Last_Name": "Old", "Amazon_Buyer_Key": "k2"}])
        text = "Amazon_Buyer_Key,Last_Name,Email\nk1,One,one@example.com\nk2,Two,two@example.com\nk3,,three@example.com\nk4,Four,not-an-email\n"
        upload = _upload(z, _zip({"Contacts.csv": text}))
        assert upload.status_code == 200 and upload.json()["code"] == "FILE_UPLOAD_SUCCESS"
        before = z.credits()["used_24h"]
        job = _run(z, _contacts_job(upload.json()["details"]["file_id"]))

        assert job["status"] == "COMPLETED" and job["operation"] == "upsert"
        assert job["resource"][0]["file"] == {"status": "COMPLETED", "name": "Contacts.csv", "added_count": 1, "updated_count": 1, "skipped_count": 2,
                                              "total_count": 4}
        rows = _result_rows(z, job)
        assert [r["Amazon_Buyer_Key"] for r in rows] == ["k1", "k2", "k3", "k4"]
        assert [r["STATUS"] for r in rows] == ["ADDED", "UPDATED", "SKIPPED", "SKIPPED"]
        assert rows[2]["ERRORS"] == "MANDATORY_NOT_FOUND-Last_Name" and rows[3]["ERRORS"] == "INVALID_DATA-Email"
        held = {r["Amazon_Buyer_Key"]: r for r in z.records("Contacts")}
        assert set(held) == {"k1", "k2"} and held["k2"]["Last_Name"] == "Two" and held["k2"]["id"] == rows[1]["RECORD_ID"]
        spent = z.credits()["by_operation"]
        assert spent["bulk_write:Contacts"] == 500 and spent["bulk_write_upload"] == 1
        assert z.credits()["used_24h"] - before >= 500


def test_sales_orders_take_line_items_from_a_child_csv_linked_by_parent_id(tmp_path):
    with zoho_sandbox(tmp_path) as (sb, z):
        contact = z.upsert("Contacts", [{"Last_Name": "Buyer", "Amazon_Buyer_Key": "b"}]).json()["data"][0]["details"]["id"]
        products = [r["details"]["id"] for r in z.upsert("Products", [{"Product_Name": f"P{i}", "Amazon_SKU": f"S{i}"} for i in range(2)]).json()["data"]]
        parent = f"Amazon_Order_ID,Subject,Contact_Name,Status\nA-1,Order 1,{contact},Created\nA-2,Order 2,{contact},Delivered\nA-3,Order 3,,Created\n"
        child = f"Parent_Id,Product_Name,Quantity,List_Price\nA-1,{products[0]},2,9.5\nA-1,{products[1]},1,20\nA-2,{products[1]},3,20\n"
        file_id = _upload(z, _zip({"Sales_Orders.csv": parent, "Ordered_Items.csv": child})).json()["details"]["file_id"]
        body = {"operation": "upsert", "resource": [
            {"type": "data", "module": {"api_name": "Sales_Orders"}, "file_id": file_id, "file_names": ["Sales_Orders.csv"], "find_by": "Amazon_Order_ID",
             "field_mappings": [{"api_name": "Amazon_Order_ID", "index": 0}, {"api_name": "Subject", "index": 1},
                                {"api_name": "Contact_Name", "index": 2, "find_by": "id"}, {"api_name": "Status", "index": 3}]},
            {"type": "data", "module": {"api_name": "Ordered_Items"}, "file_id": file_id, "file_names": ["Ordered_Items.csv"],
             "field_mappings": [{"api_name": "Parent_Id", "index": 0, "parent_column_index": 0}, {"api_name": "Product_Name", "index": 1, "find_by": "id"},
                                {"api_name": "Quantity", "index": 2}, {"api_name": "List_Price", "index": 3}]},
        ]}
        rows = _result_rows(z, _run(z, body))
        assert [r["STATUS"] for r in rows] == ["ADDED", "ADDED", "SKIPPED"]
        assert rows[2]["ERRORS"] == "MANDATORY_NOT_FOUND-Ordered_Items", "a new order without line items is refused, as by upsert"
        orders = {o["Amazon_Order_ID"]: o for o in z.records("Sales_Orders")}
        items = [(i["Product_Name"]["id"], i["Quantity"], i["List_Price"]) for i in orders["A-1"]["Ordered_Items"]]
        assert items == [(products[0], 2.0, 9.5), (products[1], 1.0, 20.0)]
        assert orders["A-1"]["Sub_Total"] == 39.0 and orders["A-1"]["Contact_Name"]["id"] == contact


def test_bad_uploads_and_jobs_are_refused_with_zoho_codes_and_cost_nothing(tmp_path):
    with zoho_sandbox(tmp_path) as (sb, z):
        assert _upload(z, b"Amazon_Buyer_Key,Last_Name\nk,L\n").json()["code"] == "INVALID_FILE_FORMAT"
        assert "X-CRM-ORG" in _upload(z, _zip({"a.csv": "x\n"}), headers={"feature": "bulk-write"}).json()["x-error"]
        file_id = _upload(z, _zip({"Contacts.csv": "Amazon_Buyer_Key,Last_Name,Email\nk,L,\n"})).json()["details"]["file_id"]
        used = z.credits()["used_24h"]
        post = lambda body: z.s.post(sb.url + "/crm/bulk/v8/write", json=body, timeout=30)  # noqa: E731
        assert post({"resource": []}).json()["code"] == "MISSING_REQUIRED_KEY"
        assert post(_contacts_job("12345")).json()["code"] == "INVALID_FILE_ID"
        unmapped = _contacts_job(file_id)
        unmapped["resource"][0]["field_mappings"] = [{"api_name": "Amazon_Buyer_Key", "index": 0}]
        assert post(unmapped).json()["code"] == "MANDATORY_FIELDS_NOT_MAPPED"
        assert post(_contacts_job(file_id, find_by="Last_Name")).status_code == 400, "find_by must be a unique field"
        bad_field = _contacts_job(file_id)
        bad_field["resource"][0]["field_mappings"][1]["api_name"] = "ast_Name"
        assert post(bad_field).json()["message"] == "invalid mapping. invalid api_name ast_Name."
        assert z.credits()["used_24h"] == used
        assert z.s.get(sb.url + "/crm/bulk/v8/write/999", timeout=30).json()["code"] == "RESOURCE_NOT_FOUND"


def test_a_job_needs_500_credits_left(tmp_path):
    with zoho_sandbox(tmp_path, zoho_daily_credits=400) as (sb, z):
        file_id = _upload(z, _zip({"Contacts.csv": "Amazon_Buyer_Key,Last_Name,Email\nk,L,\n"})).json()["details"]["file_id"]
        refused = z.s.post(sb.url + "/crm/bulk/v8/write", json=_contacts_job(file_id), timeout=30)
        assert refused.status_code == 429 and refused.json()["code"] == "LIMIT_REACHED"
        assert z.records("Contacts") == []


def test_job_answers_match_the_official_model(tmp_path):
    if not (SPECS / "bulk_write.json").exists():
        pytest.skip(f"Zoho's bulk_write.json not found in {SPECS} (../shared/reference is not checked out)")
    with zoho_sandbox(tmp_path) as (sb, z):
        file_id = _upload(z, _zip({"Contacts.csv": "Amazon_Buyer_Key,Last_Name,Email\nk,L,\n"})).json()["details"]["file_id"]
        created = z.s.post(sb.url + "/crm/bulk/v8/write", json=_contacts_job(file_id), timeout=30).json()
        jsonschema.validate(created, schema("bulk_write.json", "/components/schemas/Success_Response"))
        job = _run(z, _contacts_job(file_id))
        jsonschema.validate(job, schema("bulk_write.json", "/components/schemas/Bulk_Write_Response"))
        assert job["resource"][0]["status"] == "COMPLETED" and job["result"]["download_url"]
