#!/usr/bin/python3
"""pyghmi (Debian python3-pyghmi) side of bench/ipmi.bench.ts.

    pyghmi_bench.py fleet HOST FIRST_PORT COUNT USER PASSWORD WORKERS
        Power status of COUNT BMCs: each gets its own pyghmi Command (a full RMCP+ login: pyghmi
        picks cipher suite 3 on ipmi_sim), asks get_power(), and logs out; WORKERS threads run
        them (pyghmi's own I/O thread does the socket work).
        Prints {"seconds": wall time, "ok": n, "errors": n, "on": n}.
    pyghmi_bench.py rtt HOST PORT USER PASSWORD N
        N Get Device ID round trips, one after another, in one session.
        Prints {"seconds": time of the N round trips, "n": N}.

The password comes from argv because the bench runs against throw-away simulators.
"""
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from pyghmi.ipmi import command


def status(host, port, user, password):
    c = command.Command(bmc=host, userid=user, password=password, port=port, keepalive=False)
    try:
        return c.get_power()['powerstate']
    finally:
        try:
            c.ipmi_session.logout()
        except Exception:  # noqa: BLE001 - logout failures do not change the measured answer
            pass


def rtt():
    host, port, user, password, n = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
    c = command.Command(bmc=host, userid=user, password=password, port=port, keepalive=False)
    try:
        for _ in range(50):
            c.raw_command(netfn=6, command=1)
        t0 = time.monotonic()
        for _ in range(n):
            c.raw_command(netfn=6, command=1)
        print(json.dumps({'seconds': time.monotonic() - t0, 'n': n}))
    finally:
        c.ipmi_session.logout()


def fleet():
    host, first, count, user, password, workers = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], int(sys.argv[7])
    ports = [first + i for i in range(count)]
    ok = errors = on = 0
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(status, host, p, user, password) for p in ports]
        for f in futures:
            try:
                state = f.result()
                ok += 1
                on += 1 if state == 'on' else 0
            except Exception:  # noqa: BLE001 - counted, the bench reports it
                errors += 1
    print(json.dumps({'seconds': time.monotonic() - t0, 'ok': ok, 'errors': errors, 'on': on}))


if __name__ == '__main__':
    rtt() if sys.argv[1] == 'rtt' else fleet()
