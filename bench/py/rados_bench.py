#!/usr/bin/python3
"""Object writes or reads with python3-rados (Debian), for bench/ceph.bench.ts.

    rados_bench.py CONF KEYRING POOL MODE SIZE DEPTH SECONDS PREFIX [COUNT]

MODE write: writes new objects PREFIX_<i> of SIZE bytes at offset 0 for SECONDS.
MODE read:  reads objects PREFIX_0 .. PREFIX_<COUNT-1> (SIZE bytes each) round robin for SECONDS.
DEPTH 1 uses the blocking calls (Python's fastest way one at a time); DEPTH > 1 keeps DEPTH aio
operations in flight (completions release a semaphore from librados' callback thread).
Prints one JSON line: {"ops": n, "seconds": s, "errors": n, "cpu_seconds": s} (cpu: this process,
all threads, during the run).

    rados_bench.py --exec COMMAND [ARG...]

Runs COMMAND (e.g. `rados bench`), passes its output through and appends a line
`CHILD_CPU_SECONDS <s>`: the CPU time the command used, all threads (Node cannot read a child's
rusage).
"""
import json
import resource
import subprocess
import sys
import threading
import time


def run_child(argv):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(argv, stdout=subprocess.PIPE, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stdout.buffer.write(done.stdout)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print('CHILD_CPU_SECONDS %.6f' % cpu)
    return done.returncode


def main():
    if sys.argv[1] == '--exec':
        sys.exit(run_child(sys.argv[2:]))
    import rados  # only the benchmark itself needs it
    conf, keyring, pool, mode, size, depth, seconds, prefix = sys.argv[1:9]
    size, depth, seconds = int(size), int(depth), float(seconds)
    count = int(sys.argv[9]) if len(sys.argv) > 9 else 0
    cluster = rados.Rados(conffile=conf, conf={'keyring': keyring})
    cluster.connect()
    io = cluster.open_ioctx(pool)
    data = b'\x5a' * size
    ops = errors = 0
    t0 = time.monotonic()
    cpu0 = time.process_time()
    deadline = t0 + seconds
    if depth == 1:
        while time.monotonic() < deadline:
            if mode == 'write':
                io.write('%s_%d' % (prefix, ops), data, 0)
            else:
                io.read('%s_%d' % (prefix, ops % count), size, 0)
            ops += 1
    else:
        sem = threading.Semaphore(depth)
        lock = threading.Lock()
        counts = {'done': 0, 'errors': 0}

        def done(completion, *_):
            with lock:
                counts['done'] += 1
                if completion.get_return_value() < 0:
                    counts['errors'] += 1
            sem.release()

        completions = []
        while time.monotonic() < deadline:
            sem.acquire()
            if mode == 'write':
                c = io.aio_write('%s_%d' % (prefix, ops), data, 0, oncomplete=done)
            else:
                c = io.aio_read('%s_%d' % (prefix, ops % count), size, 0, oncomplete=done)
            completions.append(c)
            if len(completions) > 4 * depth:
                completions = [x for x in completions if not x.is_complete()]
            ops += 1
        for _ in range(depth):
            sem.acquire()
        errors = counts['errors']
    elapsed = time.monotonic() - t0
    cpu = time.process_time() - cpu0
    io.close()
    cluster.shutdown()
    print(json.dumps({'ops': ops, 'seconds': elapsed, 'errors': errors, 'cpu_seconds': cpu}))


if __name__ == '__main__':
    main()
