"""Preflight and setup: the org's fields (GET /crm/v8/settings/fields?module=...) must hold everything
mapping.yaml writes. Setup creates the missing custom fields, as a marketplace extension does at
install, and marks match keys unique; preflight fails with the full list of what is still wrong.

    python -m amazon_zoho.zoho.setup            # create what is missing, then report (make zoho-setup)
    python -m amazon_zoho.zoho.setup --check    # report only; exit 1 if Zoho is not ready

With no Zoho credentials set this talks to the sandbox at AMAZON_ZOHO_SANDBOX_URL, which must be running.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field

from .client import ZohoCrmClient
from .mapping import MODULE_ORDER, CustomField, Mapping, ModuleMapping


class MissingFieldsError(RuntimeError):
    """Zoho lacks fields the mapping writes; the message lists each one and the fix."""


@dataclass
class ModuleReport:
    module: str
    problems: list[str] = field(default_factory=list)
    creatable: list = field(default_factory=list)  # CustomField definitions setup can create
    to_make_unique: list[tuple[str, str]] = field(default_factory=list)  # (api_name, field id)


def inspect(client: ZohoCrmClient, mapping: Mapping, module: str) -> ModuleReport:
    """Compares the org's field metadata with what the mapping writes (1 API credit)."""
    report = ModuleReport(module)
    mm = mapping[module]
    fields = {f.get("api_name"): f for f in client.fields(module)}
    custom = {cf.api_name: cf for cf in mapping.custom_fields.get(module, ())}
    wanted = _written_fields(mm)
    for name, source in wanted.items():
        if name in fields:
            report.problems += _type_problems(mapping, mm, name, source, fields[name])
        else:
            _report_missing(report, name, custom.get(name))
    _check_key_is_unique(report, mm, fields.get(mm.key), custom.get(mm.key))
    report.problems += _unmapped_mandatory_fields(module, fields, set(wanted))
    return report


def _written_fields(mm: ModuleMapping) -> dict[str, str]:
    """Every Zoho field the payload writes -> its source (the line-item subform's source is `line_items`)."""
    wanted = dict(mm.fields)
    if mm.line_items_field:
        wanted[mm.line_items_field] = "line_items"
    return wanted


def _report_missing(report: ModuleReport, name: str, custom: CustomField | None) -> None:
    """A field Zoho lacks: setup creates it when mapping.yaml defines it under custom_fields."""
    if custom is None:
        report.problems.append(f"{report.module}.{name}: no such field in Zoho; fix the field name in mapping.yaml or add it under custom_fields")
        return
    report.creatable.append(custom)
    report.problems.append(f"{report.module}.{name}: missing (custom {custom.type} field{', unique' if custom.unique else ''}); run `make zoho-setup`")


def _type_problems(mapping: Mapping, mm: ModuleMapping, name: str, source: str, meta: dict) -> list[str]:
    """What is wrong with the data type of a field Zoho has: lookups, the subform, the Status picklist."""
    data_type = meta.get("data_type")
    problems = []
    if name in mm.lookups and data_type != "lookup":
        problems.append(f"{mm.module}.{name}: is {data_type}, but {source} needs a lookup field to {mm.lookups[name]}")
    if name == mm.line_items_field and data_type != "subform":
        problems.append(f"{mm.module}.{name}: is {data_type}, not the line-item subform")
    if source == "status" and data_type == "picklist":
        problems += _missing_picklist_values(mapping, f"{mm.module}.{name}", meta)
    return problems


def _missing_picklist_values(mapping: Mapping, where: str, meta: dict) -> list[str]:
    """The Zoho Status values mapping.yaml's status table uses that the picklist lacks."""
    allowed = {v.get("actual_value") for v in meta.get("pick_list_values") or []}
    return [
        f"{where}: picklist has no {value!r} (mapping.yaml status {amazon}); allowed: {', '.join(sorted(allowed))}"
        for amazon, value in mapping.status.items()
        if value is not None and value not in allowed
    ]


def _check_key_is_unique(report: ModuleReport, mm: ModuleMapping, key: dict | None, custom: CustomField | None) -> None:
    """The match key must be unique in Zoho (Email excepted); setup makes a custom key unique."""
    if key is None or mm.key == "Email" or key.get("unique"):
        return
    report.problems.append(f"{mm.module}.{mm.key}: must be unique, or upserts could duplicate records; run `make zoho-setup` or mark it unique in Zoho")
    if custom is not None and custom.unique:
        report.to_make_unique.append((mm.key, str(key.get("id"))))


def _unmapped_mandatory_fields(module: str, fields: dict[str, dict], mapped: set[str]) -> list[str]:
    return [
        f"{module}.{name}: mandatory in Zoho but not mapped in mapping.yaml"
        for name, meta in fields.items()
        if meta.get("system_mandatory") and not meta.get("read_only") and name not in mapped
    ]


def ensure_fields(client: ZohoCrmClient, mapping: Mapping, module: str, create: bool = True) -> list[str]:
    """Returns the api_names created; raises MissingFieldsError listing what is still wrong."""
    ready = client.fields_ready
    if module in ready:
        return []
    report = inspect(client, mapping, module)
    created: list[str] = []
    refused: list[str] = []
    if report.problems and create and (report.creatable or report.to_make_unique):
        created, refused = _create(client, module, report)
        report = inspect(client, mapping, module)
        report.problems += refused
    if report.problems:
        hint = "" if create else " (ZOHO_AUTO_SETUP=0: the sync does not create fields)"
        raise MissingFieldsError(
            f"Zoho CRM is not ready for {mapping.path}{hint}:\n" + "\n".join(f"  - {p}" for p in report.problems)
        )
    ready.add(module)
    return created


def _create(client: ZohoCrmClient, module: str, report: ModuleReport) -> tuple[list[str], list[str]]:
    created, refused = [], []
    if report.creatable:
        answer = client.create_fields(module, [cf.definition() for cf in report.creatable]) or {}
        for cf, result in zip(report.creatable, answer.get("fields", [])):
            if result.get("status") == "success":
                created.append(cf.api_name)
            else:
                refused.append(f"{module}.{cf.api_name}: Zoho refused to create it: {result.get('code')} {result.get('details')}")
    for api_name, field_id in report.to_make_unique:
        client.update_field(module, field_id, {"unique": {"casesensitive": "false"}})
        created.append(f"{api_name} (made unique)")
    return created, refused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m amazon_zoho.zoho.setup", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report; create nothing")
    args = parser.parse_args(argv)

    from ..resources import zoho_resource
    from ..settings import Settings

    settings = Settings.from_env()
    # Resolved: outside a run, a resource built with dg.EnvVar holds the variables' names, not their values.
    zoho = zoho_resource(settings).process_config_and_initialize()
    mapping, client = zoho.mapping(), zoho.client()
    where = f"the sandbox at {settings.sandbox_url}" if settings.zoho_sandbox else f"Zoho CRM ({settings.zoho_data_center})"
    print(f"checking {where} against {mapping.path}")
    ok = True
    for module in MODULE_ORDER:
        try:
            created = ensure_fields(client, mapping, module, create=not args.check)
        except MissingFieldsError as exc:
            ok = False
            print(str(exc).split(":\n", 1)[-1])
            continue
        except Exception as exc:  # noqa: BLE001 - a CLI says what went wrong in one line
            print(f"{module}: cannot read Zoho's fields: {exc}", file=sys.stderr)
            if settings.zoho_sandbox:
                print("  (no Zoho credentials are set, so this talks to the sandbox: start it with `make sandbox`)", file=sys.stderr)
            return 2
        print(f"  {module}: ready" + (f" (created {', '.join(created)})" if created else ""))
    print("Zoho CRM is ready for the sync." if ok else "Zoho CRM is NOT ready: fix the items above" + (" or run without --check." if args.check else "."))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
