#!/usr/bin/env python3
"""Checks a Perfetto trace written by faultline against Perfetto's own schema.

    check_trace.py [--dump TEXT_FILE] [--stats STATS_JSON] [--report REPORT_JSON] TRACE_FILE

Parses TRACE_FILE with the protos of Perfetto's Python package (`pip install
perfetto==0.59.1 protobuf==7.36.2`) and checks that:

- every packet parses with no unknown field anywhere (the parser keeps unknown fields
  silently, so every message is walked);
- every packet carries a trusted_packet_sequence_id; the first packet of each sequence
  clears its incremental state (and may set the sequence's default track, which events
  that name no track are on); interned names (event names, debug annotation names,
  categories) are defined on their sequence before they are used;
- timestamps never go back within a sequence;
- tracks are described before their events, and after their parents; thread tracks
  have a pid, a tid and a name, and each thread has one track (described again only
  to rename it);
- in time order (as Perfetto reads a trace: events of one track may come from several
  sequences, such as a storage request begun by its submitter and ended by the
  device), every slice begin has its end on the same track, properly nested;
- every flow id leaves one slice or instant and ends at another, no earlier (flow_ids
  on the source, terminating_flow_ids on the destination);
- counter events are only on counter tracks, and only counter events are there.

With --stats (faultline's `--stats` file of the same run), the counts recomputed from
the slices must match the counters: `mmap_lock read`/`mmap_lock write` hold slices the
acquisitions, `tlb shootdown` slices the shootdowns, the faults' extra attempts the
retries, and `trace.dropped` must be 0. With --report (`faultline report --json` of the
trace), each thread's fault latencies recomputed from the slices (by path and outcome)
must match the report's table: the same count, min and max, and percentiles within the
histogram's precision.

Prints a short summary and exits 0, or prints the first violation and exits 1 (2 when
the file cannot be read or parsed). With --dump, also writes the trace in protobuf
text format to TEXT_FILE.
"""

import sys

try:
    from google.protobuf import text_format
    from google.protobuf.descriptor import FieldDescriptor
    from google.protobuf.unknown_fields import UnknownFieldSet
    from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb
except ImportError as err:
    sys.exit(f"check_trace: {err}: install perfetto==0.59.1 and protobuf==7.36.2")

CLEARED = pb.TracePacket.SEQ_INCREMENTAL_STATE_CLEARED
EV = pb.TrackEvent


class Violation(Exception):
    """The first thing found wrong with the trace."""


def unknown_fields(msg, path):
    """Raises a Violation naming the first message under msg with unknown fields."""
    if len(UnknownFieldSet(msg)) > 0:
        numbers = sorted({f.field_number for f in UnknownFieldSet(msg)})
        raise Violation(f"unknown field(s) {numbers} in {path} ({msg.DESCRIPTOR.full_name})")
    for field, value in msg.ListFields():
        if field.type != FieldDescriptor.TYPE_MESSAGE:
            continue
        if field.is_repeated:
            for i, item in enumerate(value):
                unknown_fields(item, f"{path}.{field.name}[{i}]")
        else:
            unknown_fields(value, f"{path}.{field.name}")


class Sequence:
    """What one packet sequence has defined so far."""

    def __init__(self):
        self.last_ts = None
        self.interned = None  # None until the incremental state is cleared
        self.default_track = None  # the track of events that name none

    def clear(self):
        self.interned = {"event_names": {}, "debug_annotation_names": {}, "event_categories": {},
                         "debug_annotation_string_values": {}}

    def define(self, interned):
        for kind, table in self.interned.items():
            for entry in getattr(interned, kind):
                table[entry.iid] = entry.str.decode() if kind == "debug_annotation_string_values" else entry.name

    def args(self, e, where):
        """The event's debug annotations as a dict, interned names and strings resolved."""
        out = {}
        for a in e.debug_annotations:
            name = self.lookup("debug_annotation_names", a.name_iid, where) if a.HasField("name_iid") else a.name
            kind = a.WhichOneof("value")
            if kind == "string_value_iid":
                value = self.lookup("debug_annotation_string_values", a.string_value_iid, where)
            elif kind is None:
                value = None
            else:
                value = getattr(a, kind)
            out[name] = value
        return out

    def lookup(self, kind, iid, what):
        if iid not in self.interned[kind]:
            raise Violation(f"{what} uses {kind} iid {iid} before it is defined")
        return self.interned[kind][iid]


class Checker:
    """Checks packets in order, then what must hold at the end."""

    def __init__(self):
        self.sequences = {}
        self.tracks = {}  # uuid -> descriptor
        self.threads = set()  # (pid, tid) of the thread tracks
        self.open = {}  # uuid -> stack of open slice names
        self.flow_sources = {}  # flow id -> where it leaves
        self.flow_ends = {}  # flow id -> where it ends
        self.events = []  # (timestamp, packet index, where, name, event, args), for the time-order pass
        self.slices = []  # closed slices: (track uuid, name, begin ns, end ns, args)
        self.counts = {"slices": 0, "instants": 0, "counters": 0}

    def packet(self, i, p):
        where = f"packet {i}"
        unknown_fields(p, where)
        if not p.HasField("trusted_packet_sequence_id"):
            raise Violation(f"{where} has no trusted_packet_sequence_id")
        seq_id = p.trusted_packet_sequence_id
        seq = self.sequences.get(seq_id)
        if seq is None:
            if not p.sequence_flags & CLEARED:
                raise Violation(f"{where}, the first of sequence {seq_id}, does not clear its incremental state")
            seq = self.sequences[seq_id] = Sequence()
        if p.sequence_flags & CLEARED:
            seq.clear()
        if p.HasField("interned_data"):
            seq.define(p.interned_data)
        if p.HasField("trace_packet_defaults"):
            if not p.sequence_flags & CLEARED:
                raise Violation(f"{where}: packet defaults outside a packet that clears the sequence's state")
            defaults = p.trace_packet_defaults.track_event_defaults
            seq.default_track = defaults.track_uuid if defaults.HasField("track_uuid") else None
        if p.HasField("timestamp"):
            if seq.last_ts is not None and p.timestamp < seq.last_ts:
                raise Violation(f"{where}: timestamp {p.timestamp} goes back from {seq.last_ts} on sequence {seq_id}")
            seq.last_ts = p.timestamp
        if p.HasField("track_descriptor"):
            self.descriptor(where, p.track_descriptor)
        if p.HasField("track_event"):
            name = self.event(where, seq, p.track_event)
            args = seq.args(p.track_event, where)
            e = p.track_event
            uuid = e.track_uuid if e.HasField("track_uuid") else seq.default_track
            self.events.append((p.timestamp, i, where, name, e, args, uuid))

    def descriptor(self, where, d):
        if not d.HasField("uuid"):
            raise Violation(f"{where}: track without a uuid")
        if d.uuid in self.tracks:
            old = self.tracks[d.uuid]
            if not (d.HasField("thread") and old.HasField("thread") and d.thread.tid == old.thread.tid
                    and d.thread.pid == old.thread.pid and d.parent_uuid == old.parent_uuid):
                raise Violation(f"{where}: track {d.uuid} described twice, and not to rename its thread")
            self.tracks[d.uuid] = d
            return
        if d.HasField("parent_uuid") and d.parent_uuid not in self.tracks:
            raise Violation(f"{where}: track {d.uuid}'s parent {d.parent_uuid} is not described before it")
        if d.HasField("thread"):
            t = d.thread
            if not (t.HasField("pid") and t.HasField("tid") and t.thread_name):
                raise Violation(f"{where}: thread track {d.uuid} lacks its pid, tid or name")
            if (t.pid, t.tid) in self.threads:
                raise Violation(f"{where}: thread {t.tid} of process {t.pid} has a second track")
            self.threads.add((t.pid, t.tid))
        self.tracks[d.uuid] = d
        self.open[d.uuid] = []

    def event(self, where, seq, e):
        uuid = e.track_uuid if e.HasField("track_uuid") else seq.default_track
        if uuid not in self.tracks:
            raise Violation(f"{where}: event on track {uuid}, not described before")
        track = self.tracks[uuid]
        is_counter_track = track.HasField("counter")
        name = None
        if e.HasField("name_iid"):
            name = seq.lookup("event_names", e.name_iid, where)
        elif e.HasField("name"):
            name = e.name
        for iid in e.category_iids:
            seq.lookup("event_categories", iid, where)
        for a in e.debug_annotations:
            if a.HasField("name_iid"):
                seq.lookup("debug_annotation_names", a.name_iid, where)
            elif not a.HasField("name"):
                raise Violation(f"{where}: a debug annotation has no name")
        if (e.type == EV.TYPE_COUNTER) != is_counter_track:
            raise Violation(f"{where}: event of type {EV.Type.Name(e.type)} on track {uuid}, "
                            f"which is {'a' if is_counter_track else 'not a'} counter track")
        if e.type == EV.TYPE_COUNTER:
            if e.WhichOneof("counter_value_field") is None:
                raise Violation(f"{where}: counter event without a value")
            self.counts["counters"] += 1
        elif e.type == EV.TYPE_SLICE_BEGIN:
            if name is None:
                raise Violation(f"{where}: slice begin without a name")
            self.counts["slices"] += 1
        elif e.type == EV.TYPE_SLICE_END:
            pass
        elif e.type == EV.TYPE_INSTANT:
            if name is None:
                raise Violation(f"{where}: instant without a name")
            self.counts["instants"] += 1
        else:
            raise Violation(f"{where}: event of unexpected type {e.type}")
        if (e.flow_ids or e.terminating_flow_ids) and e.type not in (EV.TYPE_SLICE_BEGIN, EV.TYPE_INSTANT):
            raise Violation(f"{where}: flow on a {EV.Type.Name(e.type)} event, not on a slice or instant")
        return name

    def in_time_order(self, where, name, e, ts, args, uuid):
        """Nesting and flows, with events in time order (ties in file order)."""
        if e.type == EV.TYPE_SLICE_BEGIN:
            self.open[uuid].append((name, ts, args))
        elif e.type == EV.TYPE_SLICE_END:
            if not self.open[uuid]:
                raise Violation(f"{where}: slice end on track {uuid} with no slice open")
            begun, start, begin_args = self.open[uuid].pop()
            if not args.get("unfinished"):
                self.slices.append((uuid, begun, start, ts, {**begin_args, **args}))
        for f in e.flow_ids:
            if f in self.flow_sources:
                raise Violation(f"{where}: flow {f} leaves a second event ({self.flow_sources[f]} first)")
            self.flow_sources[f] = where
        for f in e.terminating_flow_ids:
            if f in self.flow_ends:
                raise Violation(f"{where}: flow {f} ends twice ({self.flow_ends[f]} first)")
            if f not in self.flow_sources:
                raise Violation(f"{where}: flow {f} ends before it leaves any event")
            self.flow_ends[f] = where

    def finish(self):
        self.events.sort(key=lambda ev: (ev[0], ev[1]))
        for ts, _, where, name, e, args, uuid in self.events:
            self.in_time_order(where, name, e, ts, args, uuid)
        for uuid, stack in self.open.items():
            if stack:
                raise Violation(f"slice {stack[-1][0]!r} on track {uuid} never ends")
        for f, where in self.flow_sources.items():
            if f not in self.flow_ends:
                raise Violation(f"flow {f} from {where} never ends")

    def summary(self, packets):
        threads = sorted(
            (t.thread.tid, t.thread.thread_name) for t in self.tracks.values() if t.HasField("thread"))
        counters = sum(1 for t in self.tracks.values() if t.HasField("counter"))
        names = sum(len(s.interned["event_names"]) for s in self.sequences.values())
        lines = [
            f"{packets} packets on {len(self.sequences)} sequence(s), {len(self.tracks)} tracks "
            f"({len(threads)} threads, {counters} counters)",
            f"{self.counts['slices']} slices, {self.counts['instants']} instants, "
            f"{self.counts['counters']} counter values, {len(self.flow_sources)} flows, "
            f"{names} interned event names",
        ]
        lines += [f"thread {tid} {name}" for tid, name in threads]
        return "\n".join(lines)


def thread_of(checker, uuid):
    """The tid of the thread track `uuid`, or None."""
    d = checker.tracks.get(uuid)
    return d.thread.tid if d is not None and d.HasField("thread") else None


def against_stats(checker, stats):
    """Counts recomputed from the slices against the run's counters."""
    total = stats["total"]
    if total.get("trace.dropped", 0) != 0:
        raise Violation(f"the run dropped {total['trace.dropped']} records: its counts cannot match")
    names = [name for _, name, _, _, _ in checker.slices]
    expect = [
        ("mmap_lock.read_acquired", names.count("mmap_lock read")),
        ("mmap_lock.write_acquired", names.count("mmap_lock write")),
        ("tlb.shootdowns", names.count("tlb shootdown")),
        ("faults.retry", sum(a.get("attempts", 1) - 1 for _, n, _, _, a in checker.slices if n == "fault")),
    ]
    for counter, recomputed in expect:
        if total.get(counter, 0) != recomputed:
            raise Violation(f"--stats {counter} is {total.get(counter, 0)}, the trace's slices say {recomputed}")


def quantile(sorted_values, q):
    """The value at quantile q by rank (as HdrHistogram's value_at_quantile counts)."""
    rank = max(1, -(-int(q * len(sorted_values) * 1_000_000) // 1_000_000))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def against_report(checker, report):
    """Each thread's fault latencies recomputed from the slices against the report's."""
    mine = {}
    for uuid, name, start, end, args in checker.slices:
        tid = thread_of(checker, uuid)
        if name != "fault" or tid is None:
            continue
        key = (tid, f"fault {args.get('path', '?')} {args.get('outcome', '?')}")
        mine.setdefault(key, []).append((end - start) / 1000.0)
    theirs = {}
    for table in report["tables"]:
        for row in table["rows"]:
            if row["class"].startswith("fault ") and table.get("tid") is not None:
                theirs[(table["tid"], row["class"])] = row
    if set(mine) != set(theirs):
        raise Violation(f"fault classes differ: trace {sorted(mine)}, report {sorted(theirs)}")
    for key, values in mine.items():
        values.sort()
        row = theirs[key]
        if row["count"] != len(values):
            raise Violation(f"{key}: report counts {row['count']}, the trace has {len(values)}")
        for field, value in [("min_us", values[0]), ("max_us", values[-1])]:
            if abs(row[field] - value) > 0.0015:
                raise Violation(f"{key}: report {field} {row[field]}, the trace says {value:.3f}")
        for field, q in [("p50_us", 0.5), ("p90_us", 0.9), ("p99_us", 0.99)]:
            value = quantile(values, q)
            # HdrHistogram keeps 3 significant digits: within 0.1% (and the rounding to ns).
            if abs(row[field] - value) > value * 0.002 + 0.0015:
                raise Violation(f"{key}: report {field} {row[field]}, the trace says {value:.3f}")
    return len(mine)


def main(argv):
    import json

    dump = stats = report = None
    while len(argv) >= 3 and argv[0] in ("--dump", "--stats", "--report"):
        if argv[0] == "--dump":
            dump = argv[1]
        elif argv[0] == "--stats":
            with open(argv[1], encoding="utf-8") as f:
                stats = json.load(f)
        else:
            with open(argv[1], encoding="utf-8") as f:
                report = json.load(f)
        argv = argv[2:]
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: check_trace.py [--dump TEXT_FILE] [--stats STATS_JSON] [--report REPORT_JSON] TRACE_FILE",
              file=sys.stderr)
        return 2
    path = argv[0]
    try:
        with open(path, "rb") as f:
            data = f.read()
        trace = pb.Trace()
        trace.ParseFromString(data)
    except Exception as err:  # noqa: BLE001 - any read or parse failure is reported the same way
        print(f"check_trace: {path}: cannot read a Perfetto trace: {err}", file=sys.stderr)
        return 2
    checker = Checker()
    try:
        unknown_fields(trace, "trace")
        for i, packet in enumerate(trace.packet):
            checker.packet(i, packet)
        checker.finish()
        if stats is not None:
            against_stats(checker, stats)
        classes = against_report(checker, report) if report is not None else 0
    except Violation as v:
        print(f"check_trace: {path}: {v}", file=sys.stderr)
        return 1
    print(checker.summary(len(trace.packet)))
    if stats is not None:
        print("counts match --stats")
    if report is not None:
        print(f"fault latencies of {classes} thread classes match the report")
    if dump is not None:
        with open(dump, "w", encoding="utf-8") as f:
            f.write(text_format.MessageToString(trace))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
