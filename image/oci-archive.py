#!/usr/bin/python3
# oci-archive.py TREE_TAR LAYER_GZ VERSION EPOCH OUT: an OCI image layout
# (image-spec v1.1: oci-layout, index.json, blobs/sha256/) in a tar, as
# podman and skopeo read an oci-archive, of one layer: LAYER_GZ, the gzip
# of TREE_TAR. The config runs /usr/bin/appliance in /work; every time in
# it is EPOCH (SOURCE_DATE_EPOCH), and the tar's members are in a fixed
# order with fixed owners and times, so that the same inputs give the
# same bytes. The index names the image appliance:VERSION.
import hashlib
import io
import json
import os
import sys
import tarfile
import time

tree_tar, layer_gz, version, epoch, out = sys.argv[1:6]
epoch = int(epoch)
created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def file_digest(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def blob(data):
    return hashlib.sha256(data).hexdigest(), data


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


layer_digest = file_digest(layer_gz)
layer_size = os.path.getsize(layer_gz)
config = {
    "created": created,
    "architecture": "amd64",
    "os": "linux",
    "config": {
        "Entrypoint": ["/usr/bin/appliance"],
        "WorkingDir": "/work",
        "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "LANG=C.UTF-8"],
        "Labels": {
            "org.opencontainers.image.title": "appliance",
            "org.opencontainers.image.version": version,
            "org.opencontainers.image.description":
                "appliance: builds two-disk VM appliances for every hypervisor",
        },
    },
    "rootfs": {"type": "layers", "diff_ids": ["sha256:" + file_digest(tree_tar)]},
    "history": [{"created": created, "created_by": "image/build.sh: mmdebstrap, Debian 12"}],
}
config_digest, config_bytes = blob(canonical(config))
manifest = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
               "digest": "sha256:" + config_digest, "size": len(config_bytes)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": "sha256:" + layer_digest, "size": layer_size}],
    "annotations": {"org.opencontainers.image.created": created},
}
manifest_digest, manifest_bytes = blob(canonical(manifest))
index = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                   "digest": "sha256:" + manifest_digest, "size": len(manifest_bytes),
                   "annotations": {"org.opencontainers.image.ref.name":
                                   "appliance:" + version}}],
}


def info(name, size, mode=0o644, kind=tarfile.REGTYPE):
    t = tarfile.TarInfo(name)
    t.size, t.mode, t.type, t.mtime = size, mode, kind, epoch
    t.uid = t.gid = 0
    t.uname = t.gname = ""
    return t


with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
    for d in ("blobs", "blobs/sha256"):
        tar.addfile(info(d, 0, 0o755, tarfile.DIRTYPE))
    small = [("oci-layout", canonical({"imageLayoutVersion": "1.0.0"})),
             ("index.json", canonical(index)),
             ("blobs/sha256/" + config_digest, config_bytes),
             ("blobs/sha256/" + manifest_digest, manifest_bytes)]
    for name, data in small:
        tar.addfile(info(name, len(data)), io.BytesIO(data))
    with open(layer_gz, "rb") as f:
        tar.addfile(info("blobs/sha256/" + layer_digest, layer_size), f)
