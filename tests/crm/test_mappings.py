"""CRM mappings: a devset call, analysed as ``copilot analyze`` does, filed to each CRM.

Each built-in mapping renders the call's FilingRecord; every request goes over real HTTP
(httpx) to a local receiver holding a strict model of what that CRM accepts
(tests/crm/receivers.py), and must be accepted. The exact requests are kept in
``tests/crm/fixtures/<mapping>.json``; after an intended change to a mapping, regenerate
them with

    UPDATE_FIXTURES=1 .venv/bin/pytest tests/crm/test_mappings.py -q

and read the diff before committing it.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from compliance import Scanner
from copilot.analysis import CallSummary, segments_from_turns, summarize
from copilot.crm.acceptance import refusal
from copilot.crm.config import CrmConfig
from copilot.crm.filing import CrmIdentity, CrmRequest, FilingRecord, FilingRep, FilingTask
from copilot.crm.mapping import (
    Mapping,
    MappingError,
    MappingRenderError,
    builtin,
    builtin_names,
    load_mapping,
    render,
)
from copilot.crm.models import SUMMARY_CONFIRMED, OutboxMessage
from copilot.crm.sender import WebhookSender
from copilot.insights import RuleExtractor
from tests.conftest import DEVSET
from tests.crm.conftest import SECRET
from tests.crm.receivers import CrmReceiver, check

FIXTURES = Path(__file__).resolve().with_name("fixtures")
CALL = json.loads((DEVSET / "calls.json").read_text(encoding="utf-8"))[0]  # dc01
STARTED = datetime(2025, 3, 4, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai

# Each CRM's own id formats: the receivers check them.
IDENTITIES: dict[str, CrmIdentity] = {
    "generic": CrmIdentity(
        account_id="acct-42", account_name="云帆门店", opportunity_id="opp-7", contact_id="c-9"
    ),
    "salesforce": CrmIdentity(
        account_id="0015g00000AbCdEAAZ",
        account_name="华东连锁门店",
        opportunity_id="0065g00000XyZ12AAB",
        contact_id="0035g00000Qr7StAAJ",
        crm_user_id="0055g00000Ab1CDAAZ",
    ),
    "hubspot": CrmIdentity(
        account_id="9001", opportunity_id="18230447", contact_id="751", crm_user_id="52233145"
    ),
    "fxiaoke": CrmIdentity(
        account_id="65f1a2b3c4d5e6f708192a3b",
        opportunity_id="65f1a2b3c4d5e6f708192a3c",
        contact_id="65f1a2b3c4d5e6f708192a3d",
        crm_user_id="FSUID_7B8A3925E40FA68630C0D7E9C3",
    ),
    "xiaoshouyi": CrmIdentity(
        account_id="4006219659975492",
        opportunity_id="4006219659975777",
        crm_user_id="3637136716307280",
    ),
}
# What a 销售易 tenant configures for its own activity records (see xiaoshouyi.yaml).
XIAOSHOUYI_CONSTANTS: dict[str, Any] = {
    "activity_entity_type": 11010000100001,
    "department_id": 4374707173786001,
}


def analysed_call() -> CallSummary:
    """dc01 through the functions ``copilot analyze`` runs on a JSON turns file."""
    segments = segments_from_turns([(speaker, text) for speaker, text in CALL["turns"]])
    return summarize("dc01", segments, segments[-1].end, RuleExtractor(), Scanner())


def filing_record(identity: CrmIdentity, tasks: list[FilingTask] | None = None) -> FilingRecord:
    summary = analysed_call()
    (promise,) = summary.commitments  # 我周四之前把方案和报价发到您邮箱
    if tasks is None:
        tasks = [
            FilingTask(
                id="task-1",
                subject=promise.what,
                owner=promise.who,
                due_date=date(2025, 3, 6),  # 周四 after a Tuesday call
                due_text=promise.due,
                evidence=promise.evidence.text,
            ),
            FilingTask(id="task-2", subject="钱总确认试点门店名单", owner="customer"),
        ]
    return FilingRecord(
        event_id="msg_0f3c9a7e5b2d4c1a8e6f",
        org_id="org-huadong",
        call_id="dc01",
        source="transcript",
        started_at=STARTED,
        ended_at=STARTED + timedelta(seconds=summary.duration_s),
        duration_s=summary.duration_s,
        confirmed_at=STARTED + timedelta(minutes=30),
        confirmed_by="rep-wang",
        rep=FilingRep(
            id="rep-wang", name="王磊", email="wang@example.cn", crm_user_id=identity.crm_user_id
        ),
        identity=identity,
        review={"summary_text": "approved", "budget": "approved", "objections": "skipped"},
        summary_text=summary.summary_text,
        budget=summary.budget,
        decision_chain=summary.decision_chain,
        pain_points=summary.pain_points,
        objections=[],  # the rep skipped them
        competitors=summary.competitors,
        systems=summary.systems,
        commitments=summary.commitments,
        tasks=tasks,
    )


def mapping_for(name: str) -> Mapping:
    mapping = builtin(name)
    if name == "xiaoshouyi":
        mapping = mapping.with_overrides(constants=XIAOSHOUYI_CONSTANTS)
    return mapping


def send(receiver: CrmReceiver, requests: list[CrmRequest]) -> list[int]:
    """POST/PATCH each request as the sender does: compact UTF-8 JSON, one after another.
    The status as the sender reads it: a 2xx whose body says "refused" (the request's
    ``accept`` rule, copilot/crm/acceptance.py) counts as 400."""
    statuses = []
    with httpx.Client(base_url=receiver.url, timeout=5) as client:
        for request in requests:
            content = json.dumps(request.body, ensure_ascii=False, separators=(",", ":"))
            response = client.request(
                request.method,
                request.path,
                content=content.encode("utf-8"),
                headers={"content-type": "application/json; charset=utf-8"},
            )
            refused = response.is_success and refusal(request.accept, response.content)
            statuses.append(400 if refused else response.status_code)
    return statuses


def dumped(requests: list[CrmRequest]) -> list[dict[str, Any]]:
    return [request.model_dump(mode="json") for request in requests]


def matches_fixture(name: str, requests: list[CrmRequest]) -> None:
    path = FIXTURES / f"{name}.json"
    actual = dumped(requests)
    if os.environ.get("UPDATE_FIXTURES") == "1":
        FIXTURES.mkdir(exist_ok=True)
        text = json.dumps(actual, ensure_ascii=False, indent=2) + "\n"
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing: run with UPDATE_FIXTURES=1 once"
    assert actual == json.loads(path.read_text(encoding="utf-8"))


def nulls(value: Any, where: str = "") -> list[str]:
    if value is None:
        return [where]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in nulls(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in nulls(v, f"{where}[{i}]")]
    return []


# ------------------------------------------------------------------ the built-in mappings


def test_the_built_in_mappings_are_the_five_crms() -> None:
    assert builtin_names() == ["fxiaoke", "generic", "hubspot", "salesforce", "xiaoshouyi"]
    for name in builtin_names():
        assert builtin(name).name == name


@pytest.mark.parametrize("name", ["salesforce", "hubspot", "fxiaoke", "xiaoshouyi"])
def test_each_crm_accepts_what_its_mapping_sends(name: str) -> None:
    requests = render(mapping_for(name), filing_record(IDENTITIES[name]))
    with CrmReceiver(name) as crm:
        statuses = send(crm, requests)
    errors = [seen.error for seen in crm.seen if seen.error]
    assert errors == []
    assert all(200 <= status < 300 for status in statuses)
    assert len(crm.seen) == len(requests)
    assert [seen.body for seen in crm.seen] == [r.body for r in requests]  # Chinese intact
    matches_fixture(name, requests)


def test_the_generic_mapping_goes_out_signed_as_the_webhook_does() -> None:
    record = filing_record(IDENTITIES["generic"])
    (request,) = render(builtin("generic"), record)
    assert (request.method, request.path) == ("POST", "")
    message = OutboxMessage(
        id=record.event_id,
        org_id=record.org_id,
        call_id=record.call_id,
        event_type=SUMMARY_CONFIRMED,
        payload=request.body,
        attempts=0,
        created_at=record.confirmed_at,
    )
    with CrmReceiver("generic", secrets=[SECRET]) as crm:
        config = CrmConfig(webhook_url=f"{crm.url}/hooks/copilot", secrets=[SecretStr(SECRET)])
        sender = WebhookSender(config)
        outcome = sender.deliver(message, datetime.now(UTC))
        sender.close()
    assert outcome.result == "delivered", crm.seen[-1].error
    (seen,) = crm.seen
    assert seen.body["data"] == request.body
    data = request.body
    assert data["identity"] == {
        "account_id": "acct-42",
        "account_name": "云帆门店",
        "opportunity_id": "opp-7",
        "contact_id": "c-9",
    }
    assert data["decision_chain"][0]["name"] == "钱总"
    assert data["objections"] == []  # skipped by the rep: present and empty
    assert [t["due_date"] if "due_date" in t else None for t in data["tasks"]] == [
        "2025-03-06",
        None,
    ]
    matches_fixture("generic", [request])


def test_salesforce_logs_the_call_opens_follow_ups_and_updates_the_opportunity() -> None:
    (composite,) = render(builtin("salesforce"), filing_record(IDENTITIES["salesforce"]))
    subrequests = composite.body["compositeRequest"]
    assert isinstance(subrequests, list)
    call, first, second, opportunity = subrequests
    assert composite.body["allOrNone"] is True
    assert call["body"]["Status"] == "Completed" and call["body"]["TaskSubtype"] == "Call"
    assert call["body"]["WhatId"] == "0065g00000XyZ12AAB"  # the opportunity before the account
    assert call["body"]["ActivityDate"] == "2025-03-04"
    assert call["body"]["CallDurationInSeconds"] == 36
    assert "决策链：钱总（运营副总）" in call["body"]["Description"]
    details = call["body"]["Description"].split("—— 明细 ——\n")[1]
    assert details.splitlines()[0] == "预算：48 万元 – 72 万元"
    assert "异议：" not in details  # the rep skipped the objections
    assert first["body"]["ActivityDate"] == "2025-03-06"
    assert first["body"]["Status"] == "Not Started"
    assert second["body"]["Subject"] == "【客户承诺】钱总确认试点门店名单"
    assert "ActivityDate" not in second["body"]  # no date was said
    assert [first["referenceId"], second["referenceId"]] == ["followUp1", "followUp2"]
    assert opportunity["method"] == "PATCH"
    assert opportunity["url"].endswith("/Opportunity/0065g00000XyZ12AAB")
    assert opportunity["body"]["NextStep"].startswith("把方案和报价发到您邮箱（2025-03-06 前）")


# ----------------------------------------------------------------------- each and when


def test_without_an_opportunity_there_is_no_deal_update_and_no_deal_association() -> None:
    identity = IDENTITIES["hubspot"].model_copy(update={"opportunity_id": None})
    requests = render(builtin("hubspot"), filing_record(identity))
    assert [(r.method, r.path) for r in requests] == [
        ("POST", "/crm/v3/objects/notes"),
        ("POST", "/crm/v3/objects/tasks"),
        ("POST", "/crm/v3/objects/tasks"),
    ]
    note_types = [a["types"][0]["associationTypeId"] for a in requests[0].body["associations"]]
    assert note_types == [202, 190]  # contact, company; no deal (214)
    (composite,) = render(
        builtin("salesforce"),
        filing_record(IDENTITIES["salesforce"].model_copy(update={"opportunity_id": None})),
    )
    subrequests = composite.body["compositeRequest"]
    assert isinstance(subrequests, list) and len(subrequests) == 3  # no Opportunity PATCH
    assert subrequests[0]["body"]["WhatId"] == "0015g00000AbCdEAAZ"  # the account instead


def test_each_makes_one_request_per_follow_up_and_none_without_any() -> None:
    hubspot = builtin("hubspot")
    none = render(hubspot, filing_record(IDENTITIES["hubspot"], tasks=[]))
    assert [r.path for r in none] == ["/crm/v3/objects/notes", "/crm/v3/objects/deals/18230447"]
    assert "hs_next_step" not in none[1].body["properties"]
    three = [FilingTask(id=f"t{n}", subject=f"待办{n}", owner="rep") for n in range(3)]
    tasks = render(hubspot, filing_record(IDENTITIES["hubspot"], tasks=three))[1:4]
    assert [r.body["properties"]["hs_task_subject"] for r in tasks] == ["待办0", "待办1", "待办2"]
    # Without a due date a task is due when the call was filed.
    confirmed_ms = int((STARTED + timedelta(minutes=30)).timestamp() * 1000)
    assert tasks[0].body["properties"]["hs_timestamp"] == confirmed_ms


def test_missing_ids_are_left_out_never_sent_as_null() -> None:
    bare = CrmIdentity(account_id="0015g00000AbCdEAAZ")
    record = filing_record(bare)
    for name in ("salesforce", "hubspot", "generic"):
        requests = render(builtin(name), record)
        assert nulls(dumped(requests)) == []
    (composite,) = render(builtin("salesforce"), record)
    call = composite.body["compositeRequest"][0]["body"]
    assert {"WhoId", "OwnerId"}.isdisjoint(call)
    assert call["WhatId"] == "0015g00000AbCdEAAZ"
    with CrmReceiver("salesforce") as crm:
        assert send(crm, [composite]) == [200]


def test_a_crm_that_needs_an_id_refuses_to_render_without_it() -> None:
    with pytest.raises(MappingRenderError, match=r"requests\[0\].*owner.*requires one"):
        render(
            builtin("fxiaoke"), filing_record(CrmIdentity(account_id="65f1a2b3c4d5e6f708192a3b"))
        )
    odd = IDENTITIES["xiaoshouyi"].model_copy(update={"opportunity_id": "opp-7"})
    with pytest.raises(MappingRenderError, match="'opp-7' is not a whole number"):
        render(mapping_for("xiaoshouyi"), filing_record(odd))


# ------------------------------------------------------------------- the receivers are strict


def test_xiaoshouyi_refuses_an_activity_record_without_the_tenant_constants() -> None:
    requests = render(builtin("xiaoshouyi"), filing_record(IDENTITIES["xiaoshouyi"]))
    with CrmReceiver("xiaoshouyi") as crm:
        statuses = send(crm, requests)
    assert statuses == [400, 200, 200]
    error = crm.seen[0].error or ""
    assert "data.entityType: Field required" in error and "data.dimDepart" in error


@pytest.mark.parametrize(
    ("crm", "path", "body", "complaint"),
    [
        (
            "salesforce",
            "/services/data/v60.0/composite",
            {
                "allOrNone": True,
                "compositeRequest": [
                    {
                        "method": "POST",
                        "url": "/services/data/v60.0/sobjects/Task",
                        "referenceId": "t",
                        "body": {"Subject": "x", "Status": "Completed", "WhoId": "0015g00000AbCdE"},
                    }
                ],
            },
            "is not an id of 003/00Q",
        ),
        (
            "hubspot",
            "/crm/v3/objects/notes",
            {"properties": {"hs_timestamp": 1741053600, "hs_note_body": "通话"}},
            "not a Unix time in milliseconds",
        ),
        (
            "hubspot",
            "/crm/v3/objects/tasks",
            {
                "properties": {
                    "hs_timestamp": 1741053600000,
                    "hs_task_subject": "发报价",
                    "hs_task_status": "NOT_STARTED",
                },
                "associations": [
                    {
                        "to": {"id": "1"},
                        "types": [
                            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 214}
                        ],
                    }
                ],
            },
            "association type 214 not in [192, 204, 216]",
        ),
        (
            "fxiaoke",
            "/cgi/crm/v2/data/create",
            {
                "data": {
                    "object_data": {
                        "dataObjectApiName": "ActiveRecordObj",
                        "active_record_content": "x",
                        "owner": ["wang"],
                    }
                }
            },
            "owner.0",
        ),
        ("hubspot", "/crm/v3/objects/calls", {}, "no such resource"),
    ],
)
def test_the_receivers_refuse_what_the_crm_would(
    crm: str, path: str, body: dict[str, Any], complaint: str
) -> None:
    status, error = check(crm, "POST", path, body)
    assert status in (400, 404)
    assert complaint in (error or "")


# --------------------------------------------------------------------- custom mappings

CUSTOM: dict[str, Any] = {
    "name": "acme-crm",
    "title": "Acme 内部 CRM",
    "timezone": "Asia/Shanghai",
    "lookups": {"owners": {"rep-wang": "U-1001"}},
    "constants": {"pipeline": "华东"},
    "requests": [
        {
            "method": "PUT",
            "path": "/calls/{call_id}",
            "body": {
                "owner": {"$from": "rep.id", "$lookup": "owners"},
                "pipeline": "$const.pipeline",
                "day": {"$from": "started_at", "$format": "date"},
                "at_ms": {"$from": "started_at", "$format": "epoch_ms"},
                "budget": {"$from": "budget.amount_max", "$format": "yuan"},
                "deciders": {"$from": "decision_chain", "$format": "text"},
                "headline": {"$from": "summary_text", "$max_chars": 12},
                "contact": {"$from": "identity.contact_id", "$missing": "null"},
                "title": {"$template": "{rep.name} 与 {identity.account_name} 的通话"},
                "first_task": {"$template": "{tasks.0.subject}"},
                "raw": {"$literal": {"$not": "a directive"}},
                "price": "$$99",
                "todo": {"$each": "tasks", "$as": "t", "$do": {"n": "$index", "s": "$t.subject"}},
            },
        },
        {
            "method": "POST",
            "path": "/followups",
            "each": "tasks",
            "when": "item.due_date",
            "body": {"due": {"$from": "item.due_date", "$format": "datetime"}},
        },
    ],
}


def test_a_custom_mapping_from_a_dict_renders_every_kind_of_value() -> None:
    mapping = load_mapping(CUSTOM)
    identity = CrmIdentity(account_id="a1", account_name="云帆门店")
    first, followup = render(mapping, filing_record(identity))
    assert (first.method, first.path) == ("PUT", "/calls/dc01")
    assert first.body == {
        "owner": "U-1001",
        "pipeline": "华东",
        "day": "2025-03-04",
        "at_ms": 1741053600000,
        "budget": "72 万元",
        "deciders": "钱总（运营副总）",
        "headline": "通话时长 36 秒，共…",
        "contact": None,  # this mapping asked for null
        "title": "王磊 与 云帆门店 的通话",
        "first_task": "把方案和报价发到您邮箱",
        "raw": {"$not": "a directive"},
        "price": "$99",
        "todo": [{"n": 1, "s": "把方案和报价发到您邮箱"}, {"n": 2, "s": "钱总确认试点门店名单"}],
    }
    # `when` is read per item: only the task with a date is posted; midnight in Shanghai.
    assert followup.body == {"due": "2025-03-05T16:00:00Z"}
    assert load_mapping(json.dumps(CUSTOM, ensure_ascii=False)).name == "acme-crm"


def test_path_values_are_quoted_so_an_id_cannot_leave_its_segment() -> None:
    identity = IDENTITIES["hubspot"].model_copy(update={"opportunity_id": "../owners/1"})
    deal = render(builtin("hubspot"), filing_record(identity))[-1]
    assert deal.path == "/crm/v3/objects/deals/..%2Fowners%2F1"


def test_org_overrides_merge_into_a_copy() -> None:
    base = builtin("xiaoshouyi")
    mine = base.with_overrides(constants={"department_id": 7})
    assert mine.constants == {"activity_entity_type": None, "department_id": 7}
    assert base.constants["department_id"] is None


# --------------------------------------------------------------------- bad mappings


def bad(**request: Any) -> dict[str, Any]:
    spec = {"method": "POST", "path": "", "body": {"x": 1}, **request}
    return {"name": "bad", "title": "Bad", "requests": [spec]}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            bad(body={"x": "$summary"}),
            "requests[0].body.x: unknown field path 'summary': no 'summary'",
        ),
        (
            bad(body={"x": "$identity.opp_id"}),
            "CrmIdentity has no field 'opp_id' (it has account_id,",
        ),
        (bad(body={"x": "$budget.amount_max.low"}), "'low': a int has no fields"),
        (
            bad(body={"x": {"$from": "started_at", "$format": "unix"}}),
            "unknown format 'unix' (formats: text, lines, int, yuan, date, datetime, epoch_ms",
        ),
        (bad(method="GET"), "requests.0.method: Input should be 'POST', 'PUT' or 'PATCH'"),
        (bad(body={"x": {"$form": "call_id"}}), "needs exactly one of $from"),
        (bad(body={"x": {"$from": "call_id", "$fmt": "date"}}), "unknown key '$fmt' with $from"),
        (
            bad(body={"x": {"$from": "call_id", "y": 1}}),
            "mixes directive keys with plain keys ['y']",
        ),
        (
            bad(body={"x": {"$from": "rep.id", "$lookup": "owners"}}),
            "unknown lookup table 'owners'",
        ),
        (bad(each="summary_text"), "requests[0].each: 'summary_text' is not a list"),
        (bad(body={"x": "$item.subject"}), "no 'item'"),  # item only exists inside each
        (
            bad(path="/deals/{identity.deal}"),
            "requests[0].path: unknown field path 'identity.deal'",
        ),
        (bad(when="tasks.first"), "a list takes an item number"),
        (bad(body={"x": {"$each": "tasks"}}), "$each needs $do"),
        (
            bad(body={"x": {"$from": "call_id", "$missing": "skip"}}),
            "$missing must be drop, null or error",
        ),
        (bad(body={"x": "$const.tenant"}), "unknown constant 'const.tenant' (constants: none)"),
        ({**bad(), "timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({**bad(), "requests": []}, "requests: List should have at least 1 item"),
        ({**bad(), "owner": "x"}, "owner: Extra inputs are not permitted"),
        ("requests: [unclosed", "mapping is not valid YAML"),
        ("- a list", "a mapping is a YAML/JSON object"),
    ],
)
def test_a_bad_mapping_is_refused_with_what_and_where(source: Any, message: str) -> None:
    with pytest.raises(MappingError) as caught:
        load_mapping(source)
    assert message in str(caught.value)


def test_every_problem_is_reported_at_once() -> None:
    source = bad(body={"a": "$nope", "b": {"$from": "call_id", "$format": "unix"}})
    with pytest.raises(MappingError) as caught:
        load_mapping(source)
    text = str(caught.value)
    assert text.startswith("mapping 'bad' is not valid:")
    assert "body.a: unknown field path 'nope'" in text and "body.b: unknown format" in text


def test_an_unknown_built_in_names_the_ones_there_are() -> None:
    with pytest.raises(MappingError, match="no built-in mapping 'pipedrive' .*salesforce"):
        builtin("pipedrive")
