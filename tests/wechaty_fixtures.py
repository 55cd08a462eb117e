"""A real Wechaty puppet-service peer for tests: Node runs `tests/wechaty_peer/peer.js`.

The peer hosts wechaty-puppet-mock behind wechaty-puppet-service's gRPC server on loopback and
plays one work group (a grid worker, a merchant, a staff member and the bot). Its HTTP control
channel lets a test make members speak and read back what the bot sent. Install it once with
`cd tests/wechaty_peer && npm ci`; without Node or that install the Wechaty tests skip.
"""

from __future__ import annotations

import json
import os
import secrets
import select
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

PEER_DIR = Path(__file__).resolve().parent / "wechaty_peer"
STARTUP_SECONDS = 30.0


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    role: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WechatyPeer:
    """The running peer: its gRPC endpoint and token, its group, and its control channel."""

    def __init__(self, process: subprocess.Popen[bytes], grpc_port: int, control_port: int,
                 token: str, log_path: Path) -> None:  # fmt: skip
        self.process = process
        self.endpoint = f"127.0.0.1:{grpc_port}"
        self.token = token
        self.log_path = log_path
        self._control = f"http://127.0.0.1:{control_port}"
        state = httpx.get(f"{self._control}/state", timeout=10).json()
        self.room_id: str = state["room"]["id"]
        self.members = {m["role"]: Member(m["id"], m["name"], m["role"]) for m in state["members"]}

    @property
    def bot(self) -> Member:
        return self.members["bot"]

    async def say(
        self, who: Member, text: str, *, mentions: tuple[Member, ...] = (), direct: bool = False
    ) -> str:
        """`who` says `text` in the group (or privately to the bot); returns the message id."""
        body = {
            "talker_id": who.id,
            "text": text,
            "mention_ids": [m.id for m in mentions],
            "direct": direct,
        }
        return str((await self._post("/say", body))["message_id"])

    async def join(self, newcomer: Member) -> None:
        await self._post("/join", {"id": newcomer.id, "name": newcomer.name})

    async def sent(self) -> list[dict[str, Any]]:
        """Everything the bot sent, oldest first: kind, conversation_id, text, mention_ids,
        file_name, file_size, message_id."""
        async with httpx.AsyncClient(base_url=self._control, timeout=10) as client:
            response = await client.get("/sent")
        response.raise_for_status()
        return list(response.json()["messages"])

    async def stop_service(self) -> None:
        """Take the gRPC service away; the group and everything said so far stay."""
        await self._post("/service/stop", {})

    async def start_service(self, *, token: str | None = None) -> None:
        """Open the gRPC service again (with `token`, another token than before)."""
        await self._post("/service/start", {"token": token} if token else {})

    async def delay_sends(self, *, echo_after: float, respond_after: float, count: int = 1) -> None:
        """The next `count` text sends go out (their echo with them) after `echo_after`
        seconds and are answered after `respond_after` seconds."""
        body = {"echo_after": echo_after, "respond_after": respond_after, "count": count}
        await self._post("/send/delay", body)

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self._control, timeout=10) as client:
            response = await client.post(path, json=body)
        if response.status_code != 200:
            raise AssertionError(f"peer {path}: {response.status_code} {response.text}")
        return dict(response.json())

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _read_line(stream: IO[bytes], deadline: float) -> bytes:
    line = b""
    while not line.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return line
        readable, _, _ = select.select([stream], [], [], remaining)
        if not readable:
            return line
        chunk = os.read(stream.fileno(), 1)
        if not chunk:
            return line
        line += chunk
    return line


def _start_peer(log_path: Path) -> WechatyPeer:
    token = f"test-{secrets.token_hex(8)}"
    grpc_port = free_port()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            ["node", "peer.js", "--grpc-port", str(grpc_port), "--token", token],
            cwd=PEER_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            env={**os.environ, "WECHATY_LOG": "warn"},
        )
    assert process.stdout is not None
    line = _read_line(process.stdout, time.monotonic() + STARTUP_SECONDS)
    try:
        announced = json.loads(line)
        return WechatyPeer(process, grpc_port, int(announced["control_port"]), token, log_path)
    except (ValueError, KeyError, httpx.HTTPError) as error:
        _stop_process(process)
        tail = log_path.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the Wechaty peer did not start ({line!r}):\n{tail}") from error


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


def peer_unavailable_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (the Wechaty peer runs on Node)"
    if not (PEER_DIR / "node_modules").is_dir():
        return "tests/wechaty_peer/node_modules is missing: run `cd tests/wechaty_peer && npm ci`"
    return None


@pytest.fixture
def wechaty_peer(tmp_path: Path) -> Iterator[WechatyPeer]:
    reason = peer_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    log_path = tmp_path / "wechaty-peer.log"
    for attempt in range(3):  # a free port can be taken by someone else before node binds it
        try:
            peer = _start_peer(log_path)
            break
        except RuntimeError:
            if attempt == 2:
                raise
    try:
        yield peer
    finally:
        _stop_process(peer.process)
