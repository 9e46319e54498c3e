"""A CRM's "200 OK" that means "refused" is read as a failed attempt (copilot.crm.acceptance),
unit by unit and through the real sender against the strict local Salesforce receiver."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pydantic import SecretStr

from copilot.crm.acceptance import refusal
from copilot.crm.config import CrmConfig
from copilot.crm.models import SUMMARY_CONFIRMED, OutboxMessage
from copilot.crm.sender import WebhookSender
from tests.crm.conftest import SECRET
from tests.crm.receivers import CrmReceiver


def answer(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


@pytest.mark.parametrize(
    ("rule", "body", "refused"),
    [
        ("status", b"<html>anything</html>", None),
        ("salesforce_composite", answer({"compositeResponse": [{"httpStatusCode": 201}]}), None),
        (
            "salesforce_composite",
            answer(
                {
                    "compositeResponse": [
                        {"httpStatusCode": 201, "referenceId": "call"},
                        {
                            "httpStatusCode": 400,
                            "referenceId": "deal",
                            "body": [{"message": "字段无效"}],
                        },
                    ]
                }
            ),
            "subrequest deal: HTTP 400",
        ),
        ("salesforce_composite", answer({"id": "x"}), "no compositeResponse"),
        ("error_code_zero", answer({"errorCode": 0, "errorMessage": "OK"}), None),
        ("error_code_zero", answer({"errorCode": 20016, "errorMessage": "缺少字段"}), "20016"),
        ("code_ok", answer({"code": 200, "data": {}}), None),
        ("code_ok", answer({"data": {"id": 1}}), None),
        ("code_ok", answer({"code": 400, "msg": "实体类型缺失"}), "实体类型缺失"),
        ("code_ok", b"not json", "not JSON"),
        ("error_code_zero", answer([1, 2]), "not a JSON object"),
    ],
)
def test_a_2xx_body_is_read_by_the_mappings_rule(
    rule: str, body: bytes, refused: str | None
) -> None:
    found = refusal(rule, body)  # type: ignore[arg-type]
    if refused is None:
        assert found is None
    else:
        assert found is not None and refused in found


def test_a_refused_composite_is_retried_with_the_crms_words() -> None:
    bad = {
        "allOrNone": True,
        "compositeRequest": [
            {
                "method": "POST",
                "url": "/services/data/v60.0/sobjects/Task",
                "referenceId": "call",
                "body": {"Subject": "通话纪要"},  # no WhatId, Status…: Salesforce refuses
            }
        ],
    }
    with CrmReceiver("salesforce") as crm:
        message = OutboxMessage(
            id="msg_1",
            org_id="o",
            call_id="c",
            event_type=SUMMARY_CONFIRMED,
            payload={
                "base_url": crm.url,
                "requests": [
                    {
                        "method": "POST",
                        "path": "/services/data/v60.0/composite",
                        "body": bad,
                        "accept": "salesforce_composite",
                    }
                ],
            },
            attempts=0,
            created_at=datetime.now(UTC),
            target="salesforce",
        )
        sender = WebhookSender(CrmConfig(webhook_url=crm.url, secrets=[SecretStr(SECRET)]))
        outcome = sender.deliver(message, datetime.now(UTC))
        sender.close()
    assert outcome.result == "retry" and outcome.status_code == 200
    assert outcome.steps_done == 0
    assert outcome.error is not None
    assert "request 1 of 1: HTTP 200 but refused: subrequest call: HTTP 400" in outcome.error
