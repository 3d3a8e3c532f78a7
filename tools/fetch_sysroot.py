#!/usr/bin/env python3
"""Fetches real riscv64 programs for faultline's acceptance tests into a cache.

    fetch_sysroot.py [--cache DIR] [PACKAGE...]

Reads Debian trixie's riscv64 `Packages.xz` index, resolves the listed packages'
Depends and Pre-Depends recursively (first alternative that exists, virtual packages
through Provides), downloads the .debs, checks each one's SHA256 against the index,
and unpacks them all with `dpkg-deb -x` into one sysroot, `DIR/trixie-riscv64`. It
also packs the npm package `@esbuild/linux-riscv64` (a Go program) into
`DIR/esbuild` with `npm pack` (or, without npm, fetches the same tarball from the
registry and checks it against the registry's SHA-512 integrity).

The cache (default `$FAULTLINE_CACHE`, else `$HOME/.cache/faultline`) is never part of
the repository. A finished sysroot is stamped with the package list, so a second run
with the same list does nothing and needs no network.

Prints `sysroot PATH`, then `esbuild PATH` or `esbuild unreachable`. Exit status: 0
when the sysroot is ready (esbuild ready or its registry unreachable); 2 when the
Debian archive cannot be reached (the tests that need these programs skip then,
saying so); 1 on any other failure (a bad checksum, a package missing from the index,
dpkg-deb failing), which the tests report as a failure.
"""

import argparse
import base64
import hashlib
import json
import lzma
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

MIRROR = os.environ.get("FAULTLINE_DEBIAN_MIRROR", "https://deb.debian.org/debian")
SUITE = "trixie"
ARCH = "riscv64"
# The programs the acceptance tests run (tests/tests/real_world.rs).
DEFAULT_PACKAGES = ["busybox-static", "lua5.4", "sqlite3", "python3"]
ESBUILD_NAME, ESBUILD_VERSION = "@esbuild/linux-riscv64", "0.28.2"
ESBUILD = f"{ESBUILD_NAME}@{ESBUILD_VERSION}"
NPM_REGISTRY = os.environ.get("FAULTLINE_NPM_REGISTRY", "https://registry.npmjs.org")
# Dependencies no test program needs at run time and that only drag in more (maintainer
# scripts' tools); leaving them out keeps the download small.
SKIP = {"debconf", "perl-base", "dpkg", "install-info", "tzdata", "readline-common"}
INDEX_MAX_AGE_S = 7 * 24 * 3600


class Unreachable(Exception):
    """The archive (or npm registry) could not be reached."""


class Gone(RuntimeError):
    """A file the index names is no longer in the archive (the index is stale)."""


def log(msg):
    print(f"fetch_sysroot: {msg}", file=sys.stderr, flush=True)


def download(url, dest):
    """Downloads url to dest (atomically); Unreachable on network errors."""
    tmp = dest + ".part"
    try:
        with urllib.request.urlopen(url, timeout=60) as resp, open(tmp, "wb") as out:
            shutil.copyfileobj(resp, out)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            raise Gone(f"{url}: HTTP 404") from e
        raise RuntimeError(f"{url}: HTTP {e.code}") from e
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        raise Unreachable(f"{url}: {e}") from e
    os.replace(tmp, dest)


def index_path(cache):
    return os.path.join(cache, f"Packages-{SUITE}-{ARCH}.xz")


def load_index(cache):
    """The package index as {name: fields}, plus {virtual name: [providers]}."""
    path = index_path(cache)
    fresh = os.path.exists(path) and time.time() - os.path.getmtime(path) < INDEX_MAX_AGE_S
    if not fresh:
        log(f"downloading the {SUITE} {ARCH} index")
        download(f"{MIRROR}/dists/{SUITE}/main/binary-{ARCH}/Packages.xz", path)
    with lzma.open(path, "rt", encoding="utf-8") as f:
        text = f.read()
    packages, provides = {}, {}
    for stanza in text.split("\n\n"):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith((" ", "\t")) and key:
                fields[key] += "\n" + line
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        name = fields.get("Package")
        if not name:
            continue
        packages[name] = fields
        for p in split_relations(fields.get("Provides", "")):
            provides.setdefault(p[0], []).append(name)
    return packages, provides


def split_relations(value):
    """A Depends-style field as a list of alternatives, each a list of package names."""
    out = []
    for group in value.split(","):
        names = []
        for alt in group.split("|"):
            name = alt.strip().split(" ")[0].split("(")[0].split(":")[0].strip()
            if name:
                names.append(name)
        if names:
            out.append(names)
    return out


def resolve(packages, provides, wanted):
    """The listed packages and everything they depend on, sorted."""
    chosen, todo = set(), list(wanted)
    while todo:
        name = todo.pop()
        if name in chosen or name in SKIP:
            continue
        if name not in packages:
            raise RuntimeError(f"{name} is not in the {SUITE} {ARCH} index")
        chosen.add(name)
        fields = packages[name]
        for field in ("Pre-Depends", "Depends"):
            for alts in split_relations(fields.get(field, "")):
                pick = next((a for a in alts if a in chosen), None)
                pick = pick or next((a for a in alts if a in packages), None)
                if pick is None:
                    pick = next((provides[a][0] for a in alts if a in provides), None)
                if pick is None:
                    raise RuntimeError(f"{name}: cannot satisfy {' | '.join(alts)}")
                todo.append(pick)
    return sorted(chosen)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_debs(cache, names, packages):
    """Downloads (or reuses) each package's .deb, checked against the index."""
    debs = os.path.join(cache, "debs")
    os.makedirs(debs, exist_ok=True)
    paths = []
    for name in names:
        fields = packages[name]
        path = os.path.join(debs, os.path.basename(fields["Filename"]))
        if not (os.path.exists(path) and sha256(path) == fields["SHA256"]):
            log(f"downloading {name} {fields['Version']}")
            download(f"{MIRROR}/{fields['Filename']}", path)
            if sha256(path) != fields["SHA256"]:
                os.remove(path)
                raise RuntimeError(f"{name}: SHA256 differs from the index")
        paths.append(path)
    return paths


def unpack(cache, debs, stamp):
    """Unpacks every .deb into a fresh sysroot, then stamps it."""
    root = os.path.join(cache, f"{SUITE}-{ARCH}")
    tmp = root + ".new"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for deb in debs:
        subprocess.run(["dpkg-deb", "-x", deb, tmp], check=True)
    # Debian's /usr merge, as base-files sets it up: /lib (where the dynamic linker's
    # path points), /bin and /sbin lead into /usr.
    for top in ("bin", "sbin", "lib"):
        if not os.path.lexists(os.path.join(tmp, top)):
            os.symlink(f"usr/{top}", os.path.join(tmp, top))
    with open(os.path.join(tmp, ".faultline-stamp"), "w") as f:
        f.write(stamp)
    shutil.rmtree(root, ignore_errors=True)
    os.replace(tmp, root)
    return root


def fetch_esbuild(cache):
    """Packs and unpacks the esbuild npm package; its binary is DIR/esbuild/bin/esbuild."""
    dest = os.path.join(cache, "esbuild")
    stamp = os.path.join(dest, ".faultline-stamp")
    if os.path.exists(stamp) and open(stamp).read() == ESBUILD:
        return
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        tgz = npm_pack(tmp) if shutil.which("npm") else registry_tarball(tmp)
        subprocess.run(["tar", "-xzf", tgz, "-C", tmp], check=True)
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(os.path.join(tmp, "package"), dest)
    with open(stamp, "w") as f:
        f.write(ESBUILD)


def npm_pack(tmp):
    """`npm pack`s esbuild into tmp; returns the tarball's path."""
    log(f"npm pack {ESBUILD}")
    r = subprocess.run(["npm", "pack", "--silent", "--pack-destination", tmp, ESBUILD],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise Unreachable(f"npm pack {ESBUILD}: {r.stderr.strip()[-300:]}")
    tgz = [f for f in os.listdir(tmp) if f.endswith(".tgz")]
    if len(tgz) != 1:
        raise RuntimeError(f"npm pack left {tgz}")
    return os.path.join(tmp, tgz[0])


def registry_tarball(tmp):
    """Fetches esbuild's tarball as npm pack would, checked against its integrity."""
    meta_path = os.path.join(tmp, "meta.json")
    download(f"{NPM_REGISTRY}/{ESBUILD_NAME}/{ESBUILD_VERSION}", meta_path)
    with open(meta_path) as f:
        dist = json.load(f)["dist"]
    tgz = os.path.join(tmp, "package.tgz")
    log(f"downloading {ESBUILD}")
    download(dist["tarball"], tgz)
    algo, _, want = dist["integrity"].partition("-")
    with open(tgz, "rb") as f:
        got = base64.b64encode(hashlib.new(algo, f.read()).digest()).decode()
    if got != want:
        raise RuntimeError(f"{ESBUILD}: {algo} differs from the registry's integrity")
    return tgz


def build(cache, wanted, stamp):
    """Resolves, downloads and unpacks `wanted` into the sysroot."""
    packages, provides = load_index(cache)
    names = resolve(packages, provides, wanted)
    log(f"{len(names)} packages: {' '.join(names)}")
    unpack(cache, fetch_debs(cache, names, packages), stamp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_cache = os.environ.get("FAULTLINE_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "faultline")
    ap.add_argument("--cache", default=default_cache)
    ap.add_argument("packages", nargs="*", default=DEFAULT_PACKAGES)
    args = ap.parse_args()
    os.makedirs(args.cache, exist_ok=True)
    stamp = " ".join(sorted(args.packages)) + "\n"
    root = os.path.join(args.cache, f"{SUITE}-{ARCH}")
    try:
        stamp_path = os.path.join(root, ".faultline-stamp")
        if not (os.path.exists(stamp_path) and open(stamp_path).read() == stamp):
            try:
                build(args.cache, args.packages, stamp)
            except Gone as e:
                # A point release replaced a package since the cached index was read.
                log(f"{e}: reading the index again")
                os.remove(index_path(args.cache))
                build(args.cache, args.packages, stamp)
        print(f"sysroot {root}")
        try:
            fetch_esbuild(args.cache)
            print(f"esbuild {os.path.join(args.cache, 'esbuild', 'bin', 'esbuild')}")
        except Unreachable as e:
            log(f"npm registry unreachable: {e}")
            print("esbuild unreachable")
    except Unreachable as e:
        log(f"archive unreachable: {e}")
        return 2
    except (RuntimeError, OSError, subprocess.CalledProcessError, lzma.LZMAError,
            KeyError, ValueError) as e:
        log(f"failed: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
