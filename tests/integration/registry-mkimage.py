#!/usr/bin/python3
"""Build an OCI image layout by hand for test-registry.sh.

registry-mkimage.py DIR

DIR gets oci-layout, index.json and blobs/sha256/ with:
  tag "multi":  an image index with linux/amd64 and linux/arm64 images
                (each: a config and two tar+gzip layers; the second layer
                differs per architecture, the first is shared)
  tag "single": the amd64 image manifest alone
Prints "<tag or arch> <manifest digest>" and "layer <arch> <n> <digest>" lines.

registry-mkimage.py DIR --tag TAG [--arch ARCH] LAYERDIR[:gzip|:zstd|:tar]...

adds (or replaces) tag TAG in DIR's index.json: a single linux/ARCH (amd64)
image manifest whose layers are the directory trees given, bottom first,
taken as they are on disk (symlinks, hard links, modes, files named .wh.*
as whiteouts; owner root), compressed with gzip (default) or zstd, or plain.
Prints "layer <n> <digest> <size>" and "manifest <digest>" lines.
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
CONFIG = "application/vnd.oci.image.config.v1+json"

root = sys.argv[1]
blobs = os.path.join(root, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)


def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


def tar_gz(files):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, content in files:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(content))
    return gzip.compress(raw.getvalue(), mtime=0), raw.getvalue()


def image(arch):
    # A shared base layer (a few hundred KiB, incompressible enough to span
    # many reads) and a per-arch layer.
    rnd = hashlib.sha256(b"seed").digest()
    blob = b"".join(hashlib.sha256(rnd + i.to_bytes(4, "big")).digest() for i in range(12000))
    base_gz, base_raw = tar_gz([("etc/os-release", b"ID=test\n"), ("usr/lib/big.bin", blob)])
    arch_gz, arch_raw = tar_gz([("boot/vmlinuz-" + arch, b"kernel for " + arch.encode() * 100)])
    layers = []
    diff_ids = []
    for gz, raw in ((base_gz, base_raw), (arch_gz, arch_raw)):
        d, n = put(gz)
        layers.append({"mediaType": LAYER_GZ, "digest": d, "size": n})
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    cfg = {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids},
           "config": {}}
    cd, cn = put(json.dumps(cfg, sort_keys=True).encode())
    man = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
           "config": {"mediaType": CONFIG, "digest": cd, "size": cn}, "layers": layers}
    md, mn = put(json.dumps(man, sort_keys=True).encode())
    for i, l in enumerate(layers):
        print("layer", arch, i, l["digest"])
    print("config", arch, cd)
    print(arch, md)
    return {"mediaType": OCI_MANIFEST, "digest": md, "size": mn,
            "platform": {"os": "linux", "architecture": arch}}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def put_file(path):
    d = sha256_file(path)
    n = os.path.getsize(path)
    os.replace(path, os.path.join(blobs, d))
    return "sha256:" + d, n


def dir_layer(spec):
    """DIR[:gzip|:zstd|:tar] -> (descriptor, diff_id); the tree as it is on disk
    (symlinks, hard links, modes; owner root, fixed mtime)."""
    src, _, comp = spec.partition(":")
    comp = comp or "gzip"

    def norm(ti):
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        ti.mtime = 1700000000
        return ti

    raw = os.path.join(root, "layer.tar.tmp")
    with tarfile.open(raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(src)):
            t.add(os.path.join(src, name), arcname=name, filter=norm)
    diff_id = "sha256:" + sha256_file(raw)
    media = {"gzip": LAYER_GZ, "zstd": LAYER_ZSTD, "tar": LAYER_TAR}[comp]
    if comp != "tar":
        cmd = ["gzip", "-n", "-c", raw] if comp == "gzip" else ["zstd", "-q", "-c", raw]
        with open(raw + ".c", "wb") as f:
            subprocess.run(cmd, stdout=f, check=True)
        os.unlink(raw)
        raw = raw + ".c"
    d, n = put_file(raw)
    return {"mediaType": media, "digest": d, "size": n}, diff_id


def tagged_image(tag, arch, specs):
    """An image manifest tagged TAG from directory layers, added to index.json."""
    layers, diff_ids = [], []
    for i, spec in enumerate(specs):
        desc, diff_id = dir_layer(spec)
        layers.append(desc)
        diff_ids.append(diff_id)
        print("layer", i, desc["digest"], desc["size"])
    cfg = {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids},
           "config": {}}
    cd, cn = put(json.dumps(cfg, sort_keys=True).encode())
    man = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
           "config": {"mediaType": CONFIG, "digest": cd, "size": cn}, "layers": layers}
    md, mn = put(json.dumps(man, sort_keys=True).encode())
    print("manifest", md)
    path = os.path.join(root, "index.json")
    top = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(path):
        with open(path) as f:
            top = json.load(f)
    top["manifests"] = [m for m in top["manifests"]
                        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != tag]
    top["manifests"].append({"mediaType": OCI_MANIFEST, "digest": md, "size": mn,
                             "annotations": {"org.opencontainers.image.ref.name": tag}})
    with open(path, "w") as f:
        json.dump(top, f)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


if len(sys.argv) > 3 and sys.argv[2] == "--tag":
    # registry-mkimage.py DIR --tag TAG [--arch ARCH] LAYERDIR[:gzip|:zstd|:tar]...
    args = sys.argv[4:]
    arch = "amd64"
    if args[:1] == ["--arch"]:
        arch, args = args[1], args[2:]
    tagged_image(sys.argv[3], arch, args)
    sys.exit(0)

amd64 = image("amd64")
arm64 = image("arm64")
idx = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [amd64, arm64]}
xd, xn = put(json.dumps(idx, sort_keys=True).encode())
print("multi", xd)
single = dict(amd64)
del single["platform"]
single["annotations"] = {"org.opencontainers.image.ref.name": "single"}
top = {"schemaVersion": 2, "manifests": [
    {"mediaType": OCI_INDEX, "digest": xd, "size": xn,
     "annotations": {"org.opencontainers.image.ref.name": "multi"}},
    single]}
with open(os.path.join(root, "index.json"), "w") as f:
    json.dump(top, f)
with open(os.path.join(root, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
