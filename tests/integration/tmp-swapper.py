#!/usr/bin/python3
"""The attacker of test-hostile-image.sh's temporary-file race: it keeps
replacing files in a directory it can write with symlinks to a victim file
elsewhere, the way someone sharing an output directory would, hoping that
the writer reopens one of those names and writes through the link.

tmp-swapper.py DIR VICTIM COUNT [--prefix P] [--subdirs P]

Every regular file in DIR whose name starts with P (default ".") is
replaced, atomically (symlink beside it, rename over it), by a symlink to
VICTIM; with --subdirs P the same happens inside DIR's subdirectories whose
names start with P (the daemon's images/.tmp-NAME-XXXXXX), for every
regular file there (kernel, initrd, rootfs.squashfs and their temporary
names).  After each swap the number of swaps so far is written to COUNT.
Runs until killed.
"""
import argparse
import os
import sys

ap = argparse.ArgumentParser()
ap.add_argument("dir")
ap.add_argument("victim")
ap.add_argument("count")
ap.add_argument("--prefix", default=".")
ap.add_argument("--subdirs")
args = ap.parse_args()
swaps = 0


def swap(path):
    global swaps
    link = os.path.join(os.path.dirname(path), ".swap-%d-%d" % (os.getpid(), swaps))
    try:
        os.symlink(args.victim, link)
        os.rename(link, path)
    except OSError:
        try:
            os.unlink(link)
        except OSError:
            pass
        return
    swaps += 1
    with open(args.count + ".new", "w") as f:
        f.write("%d\n" % swaps)
    os.rename(args.count + ".new", args.count)


def sweep(d, prefix):
    try:
        entries = list(os.scandir(d))
    except OSError:
        return
    for e in entries:
        try:
            if e.name.startswith(".swap-") or not e.name.startswith(prefix):
                continue
            if e.is_file(follow_symlinks=False):
                swap(e.path)
            elif args.subdirs is not None and d == args.dir and \
                    e.name.startswith(args.subdirs) and e.is_dir(follow_symlinks=False):
                sweep(e.path, "")
        except OSError:
            pass


while True:
    sweep(args.dir, args.prefix if args.subdirs is None else "")
