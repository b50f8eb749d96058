#!/usr/bin/python3
"""RBD clone-and-open with python3-rbd, for bench/ceph.bench.ts.

    rbd_clone_bench.py CONF KEYRING POOL PARENT SNAP COUNT PREFIX

Clones PARENT@SNAP COUNT times (layering, exclusive-lock, object-map, fast-diff, deep-flatten),
opening each clone and reading its first 4 KiB (the guest's boot sector), one after another; then
removes the clones (untimed). Prints {"ms_per_clone": ..., "count": n}.
"""
import json
import sys
import time

import rados
import rbd

FEATURES = (rbd.RBD_FEATURE_LAYERING | rbd.RBD_FEATURE_EXCLUSIVE_LOCK | rbd.RBD_FEATURE_OBJECT_MAP
            | rbd.RBD_FEATURE_FAST_DIFF | rbd.RBD_FEATURE_DEEP_FLATTEN)


def main():
    conf, keyring, pool, parent, snap, count, prefix = sys.argv[1:8]
    count = int(count)
    cluster = rados.Rados(conffile=conf, conf={'keyring': keyring})
    cluster.connect()
    io = cluster.open_ioctx(pool)
    r = rbd.RBD()
    t0 = time.monotonic()
    for i in range(count):
        name = '%s%d' % (prefix, i)
        r.clone(io, parent, snap, io, name, features=FEATURES)
        with rbd.Image(io, name) as img:
            img.read(0, 4096)
    elapsed = time.monotonic() - t0
    for i in range(count):
        r.remove(io, '%s%d' % (prefix, i))
    io.close()
    cluster.shutdown()
    print(json.dumps({'ms_per_clone': elapsed * 1000 / count, 'count': count}))


if __name__ == '__main__':
    main()
