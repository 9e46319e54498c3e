"""Local stand-ins for each CRM: a strict model of the requests it accepts, behind real HTTP.

Each model is written from the CRM's published API (the comments in
``copilot/crm/mappings/<name>.yaml`` cite the pages), independently of the mapping, so a
mapping that drifts from the CRM's shape — a misspelt field, a date as text, an id of the
wrong kind, a missing required field — is refused here with the reason, as the CRM would.
``extra="forbid"`` everywhere: the real APIs reject unknown fields too ("No such column",
"Property does not exist").

Answers: 201 (a create) or 200 (an update, a composite) when the request validates, 400 with
``{"error": …}`` otherwise, 404 for a path the CRM does not have. Real CRMs are less plain —
Salesforce answers a composite with 200 even when a subrequest fails, 纷享销客 and 销售易
answer HTTP 200 with an error code in the body — which is the sender's business, not the
mapping's; docs/crm-mappings.md says so.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    model_validator,
)

from copilot.crm.errors import WebhookVerificationError
from copilot.crm.signing import verify
from tests.crm.receiver import free_port


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _iso_date(value: str) -> str:
    date.fromisoformat(value)  # a real calendar day, not just the right digits
    return value


def _epoch_ms(value: int) -> int:
    # 2001-09-09 .. 2286: thirteen digits; seconds or microseconds are a mistake.
    if not 1_000_000_000_000 <= value < 10_000_000_000_000:
        raise ValueError(f"{value} is not a Unix time in milliseconds")
    return value


Text = Annotated[str, StringConstraints(min_length=1)]
IsoDate = Annotated[
    str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"), AfterValidator(_iso_date)
]
IsoUtc = Annotated[
    str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
]
EpochMs = Annotated[StrictInt, AfterValidator(_epoch_ms)]


# ------------------------------------------------------------------------- Salesforce


def _sf_id(*prefixes: str) -> Any:
    """A 15- or 18-character record id whose key prefix names the object (001 Account…)."""

    def check(value: str) -> str:
        if value[:3] not in prefixes:
            raise ValueError(f"{value!r} is not an id of {'/'.join(prefixes)}")
        return value

    return Annotated[
        str,
        StringConstraints(pattern=r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$"),
        AfterValidator(check),
    ]


SalesforceWhatId = _sf_id("001", "006")  # Account, Opportunity
SalesforceWhoId = _sf_id("003", "00Q")  # Contact, Lead
SalesforceUserId = _sf_id("005")


class SalesforceTask(_Strict):
    Subject: Annotated[str, StringConstraints(min_length=1, max_length=255)]
    Description: Annotated[str, StringConstraints(max_length=32_000)] | None = None
    WhatId: SalesforceWhatId | None = None
    WhoId: SalesforceWhoId | None = None
    OwnerId: SalesforceUserId | None = None
    ActivityDate: IsoDate | None = None
    Status: Literal[
        "Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"
    ]
    Priority: Literal["High", "Normal", "Low"] | None = None
    TaskSubtype: Literal["Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"] | None = None
    CallDurationInSeconds: Annotated[StrictInt, Field(ge=0)] | None = None


class SalesforceOpportunityUpdate(_Strict):
    NextStep: Annotated[str, StringConstraints(max_length=255)] | None = None
    Description: Annotated[str, StringConstraints(max_length=32_000)] | None = None


_SF_TASK = re.compile(r"^/services/data/v\d+\.0/sobjects/Task$")
_SF_OPPORTUNITY = re.compile(r"^/services/data/v\d+\.0/sobjects/Opportunity/(?P<id>[^/]+)$")


class SalesforceSubrequest(_Strict):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    url: str
    referenceId: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
    body: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _body_fits_url(self) -> SalesforceSubrequest:
        if self.method == "POST" and _SF_TASK.match(self.url):
            SalesforceTask.model_validate(self.body or {})
        elif self.method == "PATCH" and (found := _SF_OPPORTUNITY.match(self.url)):
            update = SalesforceOpportunityUpdate.model_validate(self.body or {})
            if not re.fullmatch(r"006[A-Za-z0-9]{12}([A-Za-z0-9]{3})?", found["id"]):
                raise ValueError(f"{found['id']!r} is not an Opportunity id")
            if not update.model_dump(exclude_none=True):
                raise ValueError("an Opportunity PATCH without fields")
        else:
            raise ValueError(f"no such resource: {self.method} {self.url}")
        return self


class SalesforceComposite(_Strict):
    allOrNone: StrictBool
    compositeRequest: Annotated[list[SalesforceSubrequest], Field(min_length=1, max_length=25)]

    @model_validator(mode="after")
    def _unique_references(self) -> SalesforceComposite:
        refs = [sub.referenceId for sub in self.compositeRequest]
        if len(refs) != len(set(refs)):
            raise ValueError(f"duplicate referenceId in {refs}")
        return self


# ---------------------------------------------------------------------------- HubSpot

HubSpotId = Annotated[str, StringConstraints(pattern=r"^\d+$")]


class HubSpotAssociationType(_Strict):
    associationCategory: Literal["HUBSPOT_DEFINED", "USER_DEFINED", "INTEGRATOR_DEFINED"]
    associationTypeId: StrictInt


class HubSpotTarget(_Strict):
    id: HubSpotId


class HubSpotAssociation(_Strict):
    to: HubSpotTarget
    types: Annotated[list[HubSpotAssociationType], Field(min_length=1)]


class _HubSpotCreate(_Strict):
    # HUBSPOT_DEFINED type ids this object may use: {typeId: target kind}.
    ASSOCIATION_TYPES: ClassVar[dict[int, str]] = {}
    associations: list[HubSpotAssociation] = []

    @model_validator(mode="after")
    def _known_association_types(self) -> _HubSpotCreate:
        for association in self.associations:
            for kind in association.types:
                defined = kind.associationCategory == "HUBSPOT_DEFINED"
                if defined and kind.associationTypeId not in self.ASSOCIATION_TYPES:
                    allowed = sorted(self.ASSOCIATION_TYPES)
                    raise ValueError(f"association type {kind.associationTypeId} not in {allowed}")
        return self


class HubSpotNoteProperties(_Strict):
    hs_timestamp: EpochMs | IsoUtc
    hs_note_body: Annotated[str, StringConstraints(min_length=1, max_length=65_536)]
    hubspot_owner_id: HubSpotId | None = None


class HubSpotNote(_HubSpotCreate):
    ASSOCIATION_TYPES: ClassVar[dict[int, str]] = {202: "contact", 190: "company", 214: "deal"}
    properties: HubSpotNoteProperties


class HubSpotTaskProperties(_Strict):
    hs_timestamp: EpochMs | IsoUtc  # the due date
    hs_task_subject: Text
    hs_task_body: str | None = None
    hs_task_status: Literal["NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"]
    hs_task_priority: Literal["NONE", "LOW", "MEDIUM", "HIGH"] | None = None
    hs_task_type: Literal["TODO", "CALL", "EMAIL", "LINKED_IN", "MEETING"] | None = None
    hubspot_owner_id: HubSpotId | None = None


class HubSpotTask(_HubSpotCreate):
    ASSOCIATION_TYPES: ClassVar[dict[int, str]] = {204: "contact", 192: "company", 216: "deal"}
    properties: HubSpotTaskProperties


class HubSpotDealProperties(_Strict):
    hs_next_step: str | None = None
    description: str | None = None


class HubSpotDealUpdate(_Strict):
    properties: HubSpotDealProperties


# --------------------------------------------------------------------------- 纷享销客

FxiaokeId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24,32}$")]
FxiaokeUser = Annotated[str, StringConstraints(pattern=r"^FSUID_[0-9A-Za-z]+$")]


class FxiaokeRelated(_Strict):
    describe_api_name: Literal["AccountObj", "NewOpportunityObj", "ContactObj"]
    id: FxiaokeId


class FxiaokeActiveRecord(_Strict):
    dataObjectApiName: Literal["ActiveRecordObj"]
    active_record_content: Text
    account_id: FxiaokeId | None = None
    new_opportunity_id: FxiaokeId | None = None
    related_object_data: list[FxiaokeRelated] = []
    owner: Annotated[list[FxiaokeUser], Field(min_length=1, max_length=1)]


class FxiaokeSchedule(_Strict):
    dataObjectApiName: Literal["ScheduleObj"]
    content: Text
    begin_time: EpochMs
    end_time: EpochMs
    related_object_data: list[FxiaokeRelated] = []
    owner: Annotated[list[FxiaokeUser], Field(min_length=1, max_length=1)]

    @model_validator(mode="after")
    def _ordered(self) -> FxiaokeSchedule:
        if self.end_time < self.begin_time:
            raise ValueError("end_time is before begin_time")
        return self


class FxiaokeData(_Strict):
    object_data: Annotated[
        FxiaokeActiveRecord | FxiaokeSchedule, Field(discriminator="dataObjectApiName")
    ]


class FxiaokeCreate(_Strict):
    data: FxiaokeData


# ----------------------------------------------------------------------------- 销售易

XiaoshouyiId = Annotated[StrictInt, Field(gt=0)]  # 64-bit record ids, as JSON numbers


class XiaoshouyiActivityRecord(_Strict):
    entityType: XiaoshouyiId
    content: Text
    startTime: EpochMs
    ownerId: XiaoshouyiId
    dimDepart: XiaoshouyiId
    activityRecordFrom: Literal[1, 3]  # 客户, 商机
    activityRecordFrom_data: XiaoshouyiId


class XiaoshouyiActivityCreate(_Strict):
    data: XiaoshouyiActivityRecord


class XiaoshouyiTask(_Strict):
    taskName: Annotated[str, StringConstraints(min_length=1, max_length=250)]
    description: str | None = None
    planStartDate: EpochMs
    planFinishDate: EpochMs
    ownerId: XiaoshouyiId
    entityBelongId: Literal[1, 3]
    entityObjectId: XiaoshouyiId


# ----------------------------------------------------------------- the generic webhook


class GenericRep(_Strict):
    id: Text
    name: Text
    email: Text
    crm_user_id: str | None = None


class GenericTask(_Strict):
    id: Text
    subject: Text
    owner: Literal["rep", "customer"]
    due_date: IsoDate | None = None
    due_text: str | None = None
    evidence: str = ""


class GenericData(_Strict):
    event_id: Text
    org_id: Text
    call_id: Text
    source: Literal["stream", "upload", "transcript"]
    started_at: IsoUtc
    ended_at: IsoUtc | None = None
    duration_s: float | int
    confirmed_at: IsoUtc
    confirmed_by: Text
    rep: GenericRep
    identity: dict[str, str]
    review: dict[str, Literal["pending", "approved", "skipped"]]
    summary_text: str
    budget: dict[str, Any] | None = None
    decision_chain: list[dict[str, Any]]
    pain_points: list[dict[str, Any]]
    objections: list[dict[str, Any]]
    competitors: list[dict[str, Any]]
    systems: list[dict[str, Any]]
    commitments: list[dict[str, Any]]
    tasks: list[GenericTask]
    # What the webhook carried before mappings (CONTRACT's CallSummary and who confirmed):
    # present when the service sends it, absent in a bare rendering of the mapping.
    transcript: list[dict[str, Any]] | None = None
    compliance_flags: list[dict[str, Any]] | None = None
    budget_history: list[dict[str, Any]] | None = None
    rep_id: Text | None = None
    customer_name: str | None = None


class GenericEnvelope(_Strict):
    type: Literal["call.summary.confirmed"]
    timestamp: IsoUtc
    data: GenericData


# ------------------------------------------------------------------------- the routes


@dataclass(frozen=True)
class Route:
    method: str
    path: re.Pattern[str]
    model: type[BaseModel]
    status: int  # answered when the request validates


ROUTES: dict[str, list[Route]] = {
    "generic": [Route("POST", re.compile(r"^/hooks/copilot$"), GenericEnvelope, 200)],
    "salesforce": [
        Route("POST", re.compile(r"^/services/data/v\d+\.0/composite$"), SalesforceComposite, 200)
    ],
    "hubspot": [
        Route("POST", re.compile(r"^/crm/v3/objects/notes$"), HubSpotNote, 201),
        Route("POST", re.compile(r"^/crm/v3/objects/tasks$"), HubSpotTask, 201),
        Route("PATCH", re.compile(r"^/crm/v3/objects/deals/\d+$"), HubSpotDealUpdate, 200),
    ],
    "fxiaoke": [Route("POST", re.compile(r"^/cgi/crm/v2/data/create$"), FxiaokeCreate, 200)],
    "xiaoshouyi": [
        Route(
            "POST",
            re.compile(r"^/rest/data/v2\.0/xobjects/activityrecord$"),
            XiaoshouyiActivityCreate,
            200,
        ),
        Route(
            "POST",
            re.compile(r"^/rest/data/v2\.0/xobjects/task/actions/createTaskWithMember$"),
            XiaoshouyiTask,
            200,
        ),
    ],
}


def check(crm: str, method: str, path: str, body: Any) -> tuple[int, str | None]:
    """What ``crm`` answers to this request: (status, error or None). Pure, for unit tests."""
    for route in ROUTES[crm]:
        if route.method == method and route.path.match(path):
            try:
                route.model.model_validate(body)
            except ValidationError as exc:
                return 400, _short(exc)
            return route.status, None
    return 404, f"no such resource: {method} {path}"


def styled(
    crm: str, status: int, error: str | None, body: Any, number: int
) -> tuple[int, dict[str, Any]]:
    """The answer as each CRM words it. Salesforce answers a composite 200 and puts each
    subrequest's status inside; 纷享销客 and 销售易 answer 200 with an error code in the body.
    What ``check`` found is ``Seen.status``; this is only what goes over the wire."""
    routed = status != 404
    if crm == "salesforce" and routed:
        parts = body.get("compositeRequest", []) if isinstance(body, dict) else []
        if error is None:
            results = [
                {
                    "body": {"id": f"00T5g0000{number:03d}{i:03d}AAA", "success": True},
                    "httpStatusCode": 201 if p.get("method") == "POST" else 204,
                    "referenceId": p.get("referenceId"),
                }
                for i, p in enumerate(parts)
            ]
        else:
            first = parts[0].get("referenceId") if parts and isinstance(parts[0], dict) else None
            results = [
                {
                    "body": [{"errorCode": "INVALID_FIELD", "message": error}],
                    "httpStatusCode": 400,
                    "referenceId": first,
                }
            ]
        return 200, {"compositeResponse": results}
    if crm == "fxiaoke" and routed:
        if error is None:
            return 200, {"errorCode": 0, "errorMessage": "OK", "dataId": f"fx{number}"}
        return 200, {"errorCode": 20016, "errorMessage": error}
    if crm == "xiaoshouyi" and routed:
        if error is None:
            return 200, {"code": 200, "msg": "OK", "data": {"id": 3000 + number}}
        return 200, {"code": 400, "msg": error}
    return status, ({"error": error} if error else {"id": str(number), "success": True})


def _short(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
    )


@dataclass
class Seen:
    method: str
    path: str
    body: Any
    status: int
    error: str | None


@dataclass
class _State:
    crm: str
    secrets: list[str] | None
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _receive(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            body: Any = None
            try:
                if state.secrets is not None:  # the generic webhook is signed
                    verify(state.secrets, headers, raw)
                body = json.loads(raw.decode("utf-8"))
            except (WebhookVerificationError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                status, error = 400, f"{type(exc).__name__}: {exc}"
            else:
                status, error = check(state.crm, self.command, self.path, body)
            with state.lock:
                state.seen.append(Seen(self.command, self.path, body, status, error))
                number = len(state.seen)
            status, answer = styled(state.crm, status, error, body, number)
            data = json.dumps(answer, ensure_ascii=False).encode("utf-8")
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_PATCH = do_PUT = _receive  # the names http.server dispatches to

        def log_message(self, format: str, *args: Any) -> None:  # the base class signature
            pass

    return Handler


class CrmReceiver:
    """A CRM on 127.0.0.1 that checks every request's shape; a context manager."""

    def __init__(self, crm: str, *, secrets: list[str] | None = None) -> None:
        self._state = _State(crm, secrets)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self._state))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> CrmReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)

    @property
    def seen(self) -> list[Seen]:
        with self._state.lock:
            return list(self._state.seen)
