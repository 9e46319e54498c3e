"""Hostile input on the call sockets is refused with 4400 and a reason; the server goes on."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets

from tests.service.conftest import Service
from tests.service.test_sockets import START, audio_url, events_url, refused, token

# 100 000 levels: json.loads recursed past the interpreter's limit (a RecursionError that
# killed the socket handler). 40 levels: parsed, but deeper than any message of ours.
TOO_DEEP = "[" * 100_000 + "]" * 100_000
DEEP_HEADER = json.dumps({**START, "hotwords": []})[:-1] + ', "x": ' + "[" * 40 + "]" * 40 + "}"


def still_serving(service: Service) -> None:
    assert httpx.get(f"{service.url}/healthz").json()["status"] == "ok"
    token(service, "afterwards")


@pytest.mark.parametrize(
    ("first", "words"),
    [
        (TOO_DEEP, "nested deeper"),
        ('{"type": "start", "x": ' + TOO_DEEP + "}", "nested deeper"),
        (DEEP_HEADER, "nested deeper"),
        (json.dumps({**START, "channels": 1, "channel_map": ["rep", "customer"]}), "channel_map"),
        (json.dumps({**START, "channel_map": ["rep", "customer", "rep"]}), "channel_map"),
        (json.dumps({**START, "hotwords": ["长" * 101]}), "hotwords"),
        (
            json.dumps({**START, "contacts": ["王总", "\udc00李工"]}),
            "contacts.1: holds a lone",
        ),
        (json.dumps({**START, "customer_name": "王\u0000总"}), "customer_name: holds a NUL"),
    ],
    ids=[
        "deep-array",
        "deep-in-object",
        "41-levels",
        "map-longer",
        "map-3-for-2",
        "hotword",
        "lone-surrogate",
        "nul",
    ],
)
def test_a_hostile_start_message_is_refused_and_the_server_goes_on(
    service: Service, first: str, words: str
) -> None:
    url = audio_url(service, "hostile", token(service, "hostile"))
    close_code, message = asyncio.run(refused(url, first))
    assert close_code == 4400
    assert words in message["message"]
    still_serving(service)
    # Nothing was created: the same id starts normally afterwards.
    url = audio_url(service, "hostile", token(service, "hostile"))

    async def start() -> str:
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps(START))
            started = json.loads(await ws.recv())
            await ws.send(json.dumps({"type": "stop"}))
            return str(started["type"])

    assert asyncio.run(start()) == "started"


def test_a_deeply_nested_message_mid_call_is_answered_and_the_call_goes_on(
    service: Service,
) -> None:
    async def run() -> tuple[dict[str, object], dict[str, object]]:
        url = audio_url(service, "deep-mid", token(service, "deep-mid"))
        async with websockets.connect(url) as ws:
            await ws.send(json.dumps(START))
            assert json.loads(await ws.recv())["type"] == "started"
            await ws.send(TOO_DEEP)
            warning = json.loads(await ws.recv())
            await ws.send(json.dumps({"type": "stop"}))
            while (reply := json.loads(await ws.recv()))["type"] != "stopped":
                pass
            return warning, reply

    warning, stopped = asyncio.run(run())
    assert warning["code"] == "bad_message" and "nested deeper" in str(warning["message"])
    assert warning["fatal"] is False
    assert stopped["call_id"] == "deep-mid"


@pytest.mark.parametrize(
    "after",
    ["1e29", "-1", "nan", "inf", "99999999999999999999999999999", "2147483648", "٣", "+3", ""],
)
def test_a_bad_after_on_the_events_socket_is_refused(service: Service, after: str) -> None:
    tok = token(service, "after-call")

    async def start_call() -> None:
        async with websockets.connect(audio_url(service, "after-call", tok)) as ws:
            await ws.send(json.dumps(START))
            await ws.recv()
            await ws.send(json.dumps({"type": "stop"}))
            while json.loads(await ws.recv())["type"] != "stopped":
                pass

    asyncio.run(start_call())
    url = events_url(service, "after-call", tok).replace("after=0", f"after={after}")
    close_code, message = asyncio.run(refused(url, None))
    assert close_code == 4400
    assert "after" in str(message["message"])
    still_serving(service)


def test_the_largest_after_is_served(service: Service) -> None:
    tok = token(service, "after-max")

    async def run() -> list[dict[str, object]]:
        async with websockets.connect(audio_url(service, "after-max", tok)) as ws:
            await ws.send(json.dumps(START))
            await ws.recv()
            await ws.send(json.dumps({"type": "stop"}))
            while json.loads(await ws.recv())["type"] != "stopped":
                pass
        events = []
        url = events_url(service, "after-max", tok).replace("after=0", "after=2147483647")
        async with websockets.connect(url) as ws:
            async for raw in ws:
                events.append(json.loads(raw))
        return events

    assert asyncio.run(run()) == []


def test_a_nul_in_the_socket_url_is_refused_before_any_lookup(service: Service) -> None:
    async def connect(url: str) -> None:
        async with websockets.connect(url):
            pass

    for url in (
        audio_url(service, "a%00b", token(service, "a")),
        events_url(service, "a", token(service, "a")) + "%00",
    ):
        with pytest.raises(websockets.exceptions.InvalidStatus) as refusal:
            asyncio.run(connect(url))
        assert refusal.value.response.status_code == 403
    still_serving(service)
