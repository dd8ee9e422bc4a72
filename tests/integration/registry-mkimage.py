#!/usr/bin/python3
"""Build an OCI image layout by hand for test-registry.sh.

registry-mkimage.py DIR

DIR gets oci-layout, index.json and blobs/sha256/ with:
  tag "multi":  an image index with linux/amd64 and linux/arm64 images
                (each: a config and two tar+gzip layers; the second layer
                differs per architecture, the first is shared)
  tag "single": the amd64 image manifest alone
Prints "<tag or arch> <manifest digest>" and "layer <arch> <n> <digest>" lines.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
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
