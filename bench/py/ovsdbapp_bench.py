#!/usr/bin/python3
"""Comparison client for bench/ovsdb.bench.ts: Neutron's OVSDB library (Debian python3-ovsdbapp)
doing the same work as the TypeScript binding on the same ovsdb-server.

  ovsdbapp_bench.py REMOTE transact N QUEUE_UUID
      N sequential transactions, each setting external_ids:n=<i> on one Queue row
      (ovsdbapp's db_set, committed and checked). Prints one JSON line:
      {"ops": N, "seconds": S, "p50_ms": .., "p99_ms": .., "connect_seconds": ..}
  ovsdbapp_bench.py REMOTE monitor N QUEUE_UUID
      Prints "READY" once its IDL is in sync, then waits until the replicated Queue row shows
      external_ids:n=end (another client then writes N row updates, the last "end") and prints
      {"updates": N}; the caller times from its first write to that line.

Run with /usr/bin/python3 (Debian's modules), never a virtualenv interpreter.
"""
import json
import sys
import time

from ovsdbapp.backend.ovs_idl import connection
from ovsdbapp.schema.open_vswitch import impl_idl


def connect(remote):
    t0 = time.perf_counter()
    idl = connection.OvsdbIdl.from_server(remote, 'Open_vSwitch')
    conn = connection.Connection(idl=idl, timeout=30)
    api = impl_idl.OvsdbIdl(conn)
    return api, time.perf_counter() - t0


def transact(remote, n, uuid):
    api, connect_s = connect(remote)
    lat = []
    t0 = time.perf_counter()
    for i in range(n):
        s = time.perf_counter()
        api.db_set('Queue', uuid, ('external_ids', {'n': str(i)})).execute(check_error=True)
        lat.append(time.perf_counter() - s)
    total = time.perf_counter() - t0
    lat.sort()
    print(json.dumps({
        'ops': n,
        'seconds': total,
        'p50_ms': lat[len(lat) // 2] * 1000,
        'p99_ms': lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
        'connect_seconds': connect_s,
    }), flush=True)


def monitor(remote, n, uuid):
    # The bare python-ovs IDL (what ovsdbapp runs on), polled as ovsdbapp's connection thread does.
    import ovs.db.idl
    import ovs.poller
    from ovsdbapp.backend.ovs_idl import idlutils
    helper = idlutils.get_schema_helper(remote, 'Open_vSwitch')
    helper.register_table('Queue')
    idl = ovs.db.idl.Idl(remote, helper)
    import uuid as uuidmod
    key = uuidmod.UUID(uuid)
    # In sync once the row the writer will change is replicated.
    while key not in idl.tables['Queue'].rows:
        idl.run()
        p = ovs.poller.Poller()
        idl.wait(p)
        p.timer_wait(100)
        p.block()
    print('READY', flush=True)
    # The caller resets the rows before starting this and times from its first write to the line
    # printed here (python-ovs applies everything queued in one run(), so no useful start time
    # can be taken on this side).
    deadline = time.perf_counter() + 120
    last_seen = None
    seqno = idl.change_seqno
    while True:
        idl.run()
        if idl.change_seqno != seqno:
            seqno = idl.change_seqno
            row = idl.tables['Queue'].rows.get(key)
            if row is not None:
                last_seen = row.external_ids.get('n')
                if last_seen == 'end':
                    break
        if time.perf_counter() > deadline:
            raise SystemExit('monitor: no "end" within 120 s (last n=%s)' % last_seen)
        p = ovs.poller.Poller()
        idl.wait(p)
        p.timer_wait(1000)
        p.block()
    print(json.dumps({'updates': n}), flush=True)


def main():
    remote, mode, n, uuid = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if mode == 'transact':
        transact(remote, n, uuid)
    elif mode == 'monitor':
        monitor(remote, n, uuid)
    else:
        raise SystemExit('unknown mode ' + mode)


if __name__ == '__main__':
    main()
