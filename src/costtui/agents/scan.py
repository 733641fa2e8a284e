"""Incremental import of agent log trees.

Per file the store remembers its size, inode, mtime, how far it was read and a hash of its first
bytes (``agent_files``). A re-scan stats every file and reads only what grew; a file that shrank
or whose first bytes changed (replaced under the same name) is read again from the start, and the
deterministic event ids keep what was already stored from counting twice. A last line without its
newline is left for the next scan (the agent is still writing it).

Files are streamed in chunks and events are stored in batches: the tree is never held in memory.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from costtui.agents import CLAUDE_CODE, CODEX, GEMINI_CLI
from costtui.agents.claude import parse_claude
from costtui.agents.codex import parse_codex
from costtui.agents.gemini import parse_gemini_document, parse_gemini_line
from costtui.agents.paths import LogRoot, walk
from costtui.agents.records import FileContext, Malformed, Parsed, Skipped
from costtui.models import QuotaSnapshot, UsageEvent
from costtui.store import Store
from costtui.store.agents import FileState, RecordRow

HEAD_BYTES = 1024
"""How much of a file's start is hashed to notice it was replaced."""
CHUNK_BYTES = 1 << 20
BATCH_EVENTS = 5000

LineParser = Callable[[bytes, FileContext, int], Parsed | None]
_LINE_PARSERS: dict[str, LineParser] = {
    CLAUDE_CODE: parse_claude,
    CODEX: parse_codex,
    GEMINI_CLI: parse_gemini_line,
}


@dataclass
class ScanReport:
    """What one import did (``costtui import`` prints it)."""

    source: str
    files: int = 0
    files_read: int = 0
    lines: int = 0
    bytes_read: int = 0
    events_added: int = 0
    duplicates: int = 0
    replaced: int = 0
    malformed: int = 0
    skipped: int = 0
    quotas: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "files": self.files,
            "files_read": self.files_read,
            "lines": self.lines,
            "bytes_read": self.bytes_read,
            "events_added": self.events_added,
            "duplicates": self.duplicates,
            "replaced": self.replaced,
            "malformed": self.malformed,
            "skipped": self.skipped,
            "quota_snapshots": self.quotas,
            "seconds": round(self.seconds, 4),
            "errors": self.errors,
        }

    @property
    def changed(self) -> bool:
        return bool(self.events_added or self.replaced or self.quotas)


Progress = Callable[[ScanReport], None]


def _head_hash(data: bytes) -> str:
    return f"{len(data)}:{hashlib.sha256(data).hexdigest()[:32]}"


@dataclass
class _Pending:
    parsed: list[Parsed] = field(default_factory=list)
    files: dict[str, FileState] = field(default_factory=dict)


class Scanner:
    """Imports one agent's log roots into a store (one Scanner per thread: it holds no connection)."""

    def __init__(
        self,
        store: Store,
        *,
        batch_events: int = BATCH_EVENTS,
        progress: Progress | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> None:
        self.store = store
        self.batch_events = batch_events
        self.progress = progress
        self.should_stop = should_stop
        """Asked between files: a long first import ends early (what was read is kept) on exit."""

    def scan(self, source: str, roots: Iterable[LogRoot]) -> ScanReport:
        started = time.perf_counter()
        report = ScanReport(source)
        states = self.store.agents.file_states(source)
        pending = _Pending()
        quotas: dict[tuple[str, str, str], QuotaSnapshot] = {}
        for root in roots:
            for path, st in walk(root):
                if self.should_stop is not None and self.should_stop():
                    break
                report.files += 1
                prev = states.get(str(path))
                if (
                    prev is not None
                    and prev.size == st.st_size
                    and prev.inode == st.st_ino
                    and prev.mtime_ns == st.st_mtime_ns
                ):
                    continue
                try:
                    self._read_file(source, root, path, st, prev, pending, report, quotas)
                except OSError as exc:
                    report.errors.append(f"{path}: {exc.strerror or exc}")
                if self.progress is not None:
                    self.progress(report)
        self._flush(pending, report)
        if quotas:
            report.quotas = self.store.billing.record_quotas(quotas.values())
        report.seconds = time.perf_counter() - started
        if self.progress is not None:
            self.progress(report)
        return report

    # ------------------------------------------------------------------ reading

    def _read_file(
        self,
        source: str,
        root: LogRoot,
        path: Path,
        st: os.stat_result,
        prev: FileState | None,
        pending: _Pending,
        report: ScanReport,
        quotas: dict[tuple[str, str, str], QuotaSnapshot],
    ) -> None:
        rel = path.relative_to(root.path).as_posix()
        with open(path, "rb") as f:
            start, state, lines, malformed = 0, {}, 0, 0
            if prev is not None and prev.inode == st.st_ino and st.st_size >= prev.offset:
                n = int(prev.head_hash.split(":", 1)[0])
                if _head_hash(f.read(n)) == prev.head_hash:
                    start, state = prev.offset, dict(prev.state or {})
                    lines, malformed = prev.lines, prev.malformed
            f.seek(0)
            head = _head_hash(f.read(HEAD_BYTES))
            ctx = FileContext(path=rel, state=state)
            report.files_read += 1
            fs = FileState(
                str(path), source, st.st_size, st.st_ino, st.st_mtime_ns, start, head, state, lines, malformed
            )
            if source == GEMINI_CLI and path.suffix == ".json":
                # Session files are rewritten whole: read them whole.
                f.seek(0)
                data = f.read()
                report.bytes_read += len(data)
                report.lines += 1
                try:
                    pending.parsed.extend(parse_gemini_document(data, ctx))
                except Malformed:
                    report.malformed += 1
                    fs.malformed = 1
                fs.offset = len(data)
                fs.lines = 1
                pending.files[fs.path] = fs
            else:
                self._read_lines(f, _LINE_PARSERS[source], ctx, fs, pending, report)
        for q in ctx.quotas:
            key = (q.account, q.kind, q.scope)
            if key not in quotas or quotas[key].taken_at <= q.taken_at:
                quotas[key] = q
        if len(pending.parsed) >= self.batch_events:
            self._flush(pending, report)

    def _read_lines(
        self,
        f: object,
        parse: LineParser,
        ctx: FileContext,
        fs: FileState,
        pending: _Pending,
        report: ScanReport,
    ) -> None:
        read = f.read  # type: ignore[attr-defined]
        f.seek(fs.offset)  # type: ignore[attr-defined]
        offset = fs.offset
        rest = b""
        while True:
            chunk = read(CHUNK_BYTES)
            if not chunk:
                break
            report.bytes_read += len(chunk)
            data = rest + chunk if rest else chunk
            end = data.rfind(b"\n")
            if end < 0:
                rest = data
                continue
            rest = data[end + 1 :]
            pos = offset
            for line in data[: end + 1].split(b"\n")[:-1]:
                line_at = pos
                pos += len(line) + 1
                report.lines += 1
                fs.lines += 1
                if not line.strip():
                    continue
                try:
                    parsed = parse(line, ctx, line_at)
                except Malformed:
                    report.malformed += 1
                    fs.malformed += 1
                    continue
                except Skipped:
                    report.skipped += 1
                    continue
                if parsed is not None:
                    pending.parsed.append(parsed)
            offset = pos
            fs.offset = offset
            if len(pending.parsed) >= self.batch_events:
                # The file's progress so far goes with the events read so far.
                pending.files[fs.path] = _snapshot(fs)
                self._flush(pending, report)
        pending.files[fs.path] = _snapshot(fs)

    # ------------------------------------------------------------------ storing

    def _flush(self, pending: _Pending, report: ScanReport) -> None:
        parsed, files = pending.parsed, list(pending.files.values())
        pending.parsed, pending.files = [], {}
        if not parsed and not files:
            return
        events, records, remove, forget, dups, replaced = resolve(self.store, parsed)
        report.duplicates += dups
        report.replaced += replaced
        if remove or forget:
            self.store.agents.remove_events(remove, forget)
        # The events and the read positions that account for them commit together.
        result = self.store.record(events, also=self.store.agents.saver(records, files))
        report.events_added += result.accepted - replaced
        report.duplicates += result.duplicates


def _snapshot(fs: FileState) -> FileState:
    return FileState(
        fs.path,
        fs.source,
        fs.size,
        fs.inode,
        fs.mtime_ns,
        fs.offset,
        fs.head_hash,
        dict(fs.state) if fs.state is not None else None,
        fs.lines,
        fs.malformed,
    )


def _better(new: Parsed, old: RecordRow | Parsed) -> bool:
    if new.last_wins:
        return new.total != old.total
    return new.total > old.total or (new.total == old.total and new.rank > old.rank)


def resolve(
    store: Store, batch: list[Parsed]
) -> tuple[list[UsageEvent], list[RecordRow], list[str], list[str], int, int]:
    """Apply the duplicate rules to a batch against what is stored already.

    Returns the events to record, the records to remember, the stored event ids to delete first
    (superseded by a more complete copy, or sidechain replays of a main-chain message), the record
    keys to forget, the number of duplicates dropped and the number of stored events replaced.

    Rules (Claude Code, as ccusage): the same (message id, request id) written several times is
    one event, the copy with the most tokens (on a tie, the one that states its speed); a
    sidechain line whose message id also appears outside the sidechain is a replay and dropped;
    a line without a message id is never deduplicated.
    """
    keys = [p.key for p in batch if p.key]
    stored = store.agents.records(keys) if keys else {}
    mids = [p.message_id for p in batch if p.message_id]
    by_msg: dict[str, dict[str, RecordRow | Parsed]] = {}
    if mids:
        for mid, rows in store.agents.records_by_message(mids).items():
            by_msg[mid] = {r.key: r for r in rows}
    chosen: dict[str, Parsed] = {}
    loose: list[Parsed] = []
    remove: set[str] = set()
    forget: set[str] = set()
    dups = replaced = 0
    for p in batch:
        key = p.key
        if key is None:
            loose.append(p)
            continue
        group = by_msg.setdefault(p.message_id, {}) if p.message_id else None
        if group is not None:
            others = [g for k, g in group.items() if k != key]
            if p.sidechain and any(not g.sidechain for g in others):
                dups += 1
                continue
            if not p.sidechain:
                for g in others:
                    gk = g.key
                    if g.sidechain and gk is not None:
                        del group[gk]
                        if gk in chosen:
                            del chosen[gk]
                        was_stored = stored.pop(gk, None)
                        if isinstance(g, RecordRow) or was_stored is not None:  # stored already: delete it
                            remove.add(g.event_id if isinstance(g, RecordRow) else was_stored.event_id)  # type: ignore[union-attr]
                            forget.add(gk)
                        dups += 1
        prev: RecordRow | Parsed | None = chosen.get(key) or stored.get(key)
        if prev is not None:
            if not _better(p, prev):
                dups += 1
                continue
            dups += 1
            if key not in chosen and key in stored:
                remove.add(stored[key].event_id)
                replaced += 1
        chosen[key] = p
        if group is not None:
            group[key] = p
    # A replaced event is stored again under its own id, so that re-import and push stay idempotent.
    events = [p.event for p in chosen.values()] + [p.event for p in loose]
    records = [
        RecordRow(
            key=k,
            message_id=p.message_id,
            event_id=p.event.event_id or "",
            total=p.total,
            rank=p.rank,
            sidechain=p.sidechain,
        )
        for k, p in chosen.items()
    ]
    return events, records, sorted(remove), sorted(forget - set(chosen)), dups, replaced
