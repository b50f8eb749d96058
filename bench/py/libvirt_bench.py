#!/usr/bin/python3
"""python3-libvirt side of bench/libvirt.bench.ts, on the same daemon.

  libvirt_bench.py calls URI DOMAIN OP INFLIGHT SECONDS [ev]
      -> {"ops": N, "seconds": S, "cpuSeconds": C, "voluntaryCsw": V, "involuntaryCsw": I}
      OP: lookup | info | xml. INFLIGHT threads share one connection (libvirt-python releases
      the GIL during each call), each looping until SECONDS have passed. With `ev`, libvirt's
      default event loop is registered and run on a thread first, as any client receiving events
      (and tstack-host's binding, always) does. CPU time and context switches are those of the
      whole process (every thread) during the calls.
  libvirt_bench.py boot URI XMLFILE CONSOLE MARKER        -> {"defineMs", "startMs", "markerMs"}
      define -> create -> marker on the serial console file, then destroy + undefine.
"""
import json
import os
import resource
import sys
import threading
import time

import libvirt


def quiet(_ctx, _err):
    pass


libvirt.registerErrorHandler(quiet, None)


def run_event_loop():
    libvirt.virEventRegisterDefaultImpl()

    def loop():
        while True:
            libvirt.virEventRunDefaultImpl()

    threading.Thread(target=loop, daemon=True).start()


def calls(uri, name, op, inflight, seconds, with_events):
    if with_events:
        run_event_loop()
    conn = libvirt.open(uri)
    dom = conn.lookupByName(name)
    if op == "lookup":
        fn = lambda: conn.lookupByName(name)
    elif op == "info":
        fn = dom.info
    else:
        fn = lambda: dom.XMLDesc(0)
    counts = [0] * inflight
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()

    def worker(i):
        n = 0
        while time.perf_counter() < deadline:
            fn()
            n += 1
        counts[i] = n

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(inflight)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    ru = resource.getrusage(resource.RUSAGE_SELF)
    conn.close()
    return {
        "ops": sum(counts),
        "seconds": elapsed,
        "cpuSeconds": (ru.ru_utime - ru0.ru_utime) + (ru.ru_stime - ru0.ru_stime),
        "voluntaryCsw": ru.ru_nvcsw - ru0.ru_nvcsw,
        "involuntaryCsw": ru.ru_nivcsw - ru0.ru_nivcsw,
    }


def boot(uri, xml_file, console, marker):
    conn = libvirt.open(uri)
    with open(xml_file) as f:
        xml = f.read()
    t0 = time.perf_counter()
    dom = conn.defineXML(xml)
    t1 = time.perf_counter()
    dom.create()
    t2 = time.perf_counter()
    while True:
        try:
            with open(console, errors="replace") as f:
                if marker in f.read():
                    break
        except FileNotFoundError:
            pass
        if time.perf_counter() - t0 > 120:
            raise SystemExit("marker not seen in 120 s")
        time.sleep(0.05)
    t3 = time.perf_counter()
    dom.destroy()
    dom.undefine()
    conn.close()
    return {"defineMs": (t1 - t0) * 1000, "startMs": (t2 - t1) * 1000, "markerMs": (t3 - t0) * 1000}


def main():
    if sys.argv[1] == "calls":
        uri, name, op, inflight, seconds = sys.argv[2:7]
        out = calls(uri, name, op, int(inflight), float(seconds), sys.argv[7:8] == ["ev"])
    else:
        _, _, uri, xml_file, console, marker = sys.argv
        out = boot(uri, xml_file, console, marker)
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
