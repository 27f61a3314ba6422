"""TLS for the databases' first-boot hooks: the instance's key and certificate from a section's `tls:` setting.

`tls: true` makes a key (P-256) and a self-signed certificate for this instance at first boot, with the host
name and the instance's addresses as subject alternative names; `tls: {cert: PEM, key: PEM, ca: PEM}` uses given
ones (`ca` optional: the CA that signed `cert`, which peers and clients verify against). Either way the files are

    /etc/dibkit/tls/server.pem   the certificate (with any chain given after it), 0644
    /etc/dibkit/tls/server.key   its key, 0640 root:<the server's group>: readable by the server only
    /etc/dibkit/tls/ca.pem       what clients and peers trust: the CA given, else the certificate itself, 0644

Given PEM is checked with openssl before anything is written: a certificate, a key that belongs to it, and a
CA that verifies it. Keys and PEM reach openssl on stdin or in 0600 files, never on a command line.
"""

import ipaddress
import json
import os
import socket
import subprocess
import tempfile

import dibkit_firstboot as fb

FOLDER = "/etc/dibkit/tls"
CERT = f"{FOLDER}/server.pem"
KEY = f"{FOLDER}/server.key"
CA = f"{FOLDER}/ca.pem"
DAYS = 3650


def check(key, value):
    """`value` of a `tls` setting (`key` names it, e.g. `redis.tls`): None when TLS is off (false or absent),
    {} for a self-signed certificate (true), else {"cert", "key"[, "ca"]} of PEM text."""
    if value is None or value is False:
        return None
    if value is True:
        return {}
    if not isinstance(value, dict):
        raise fb.FirstbootError(f"{key} must be true, false or a map {{cert: PEM, key: PEM, ca: PEM}}")
    unknown = sorted(set(value) - {"cert", "key", "ca"})
    if unknown:
        raise fb.FirstbootError(f"unknown {key} field(s) {', '.join(unknown)}; known: ca, cert, key")
    for field in ("cert", "key"):
        if field not in value:
            raise fb.FirstbootError(f"{key}.{field} is missing: give cert and key (PEM), and ca, or `tls: true` "
                                    f"for a self-signed certificate")
    for field, marker in (("cert", "CERTIFICATE"), ("key", "PRIVATE KEY"), ("ca", "CERTIFICATE")):
        text = value.get(field)
        if text is not None and (not isinstance(text, str) or "-----BEGIN " not in text or marker not in text):
            raise fb.FirstbootError(f"{key}.{field} is not PEM text holding a {marker.lower()} "
                                    f"(-----BEGIN ...-----); paste the file with a YAML block scalar (|)")
    return {field: text.strip() + "\n" for field, text in value.items()}


def addresses():
    """The instance's global addresses (from `ip -j address`), loopback added."""
    found = ["127.0.0.1", "::1"]
    try:
        result = subprocess.run(["ip", "-j", "address", "show", "scope", "global"], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, timeout=30)
        for interface in json.loads(result.stdout or "[]"):
            for entry in interface.get("addr_info", []):
                local = entry.get("local")
                if local and fb.ip_address(local) is not None and local not in found:
                    found.append(local)
    except (OSError, ValueError, subprocess.TimeoutExpired):
        pass
    return found


def names():
    """The host names the certificate is for: the host name and its fully qualified form, and localhost."""
    found = []
    for name in (socket.gethostname(), socket.getfqdn(), "localhost"):
        if name and name not in found and all(c.isalnum() or c in "-." for c in name):
            found.append(name)
    return found


def subject_alt_names():
    """The subjectAltName extension's value: DNS names and IP addresses."""
    entries = [f"DNS:{name}" for name in names()]
    entries += [f"IP:{ipaddress.ip_address(address)}" for address in addresses()]
    return ",".join(entries)


def self_signed(work):
    """A new key and self-signed certificate in folder `work`: (key PEM, certificate PEM)."""
    key, cert = os.path.join(work, "key.pem"), os.path.join(work, "cert.pem")
    fb.run_tool(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                 "-nodes", "-sha256", "-days", str(DAYS), "-subj", f"/CN={names()[0]}",
                 "-addext", f"subjectAltName={subject_alt_names()}",
                 "-addext", "basicConstraints=critical,CA:FALSE",
                 "-addext", "extendedKeyUsage=serverAuth,clientAuth",
                 "-keyout", key, "-out", cert], "openssl (the instance's TLS certificate)")
    with open(key, encoding="ascii") as key_file, open(cert, encoding="ascii") as cert_file:
        return key_file.read(), cert_file.read()


def private_file(work, name, text):
    """`text` in a new 0600 file `name` of folder `work`; its path."""
    target = os.path.join(work, name)
    with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w", encoding="utf-8") as handle:
        handle.write(text)
    return target


def check_given(key_name, given, work):
    """openssl reads the certificate and the key, the key is the certificate's, the CA verifies it."""
    cert = private_file(work, "given-cert.pem", given["cert"])
    key = private_file(work, "given-key.pem", given["key"])
    certificate_key = fb.run_tool(["openssl", "x509", "-in", cert, "-noout", "-pubkey"],
                                  f"{key_name}.cert: openssl reading the certificate")
    private_key = fb.run_tool(["openssl", "pkey", "-in", key, "-pubout"], f"{key_name}.key: openssl reading the key",
                              hide=[given["key"]])
    if certificate_key.strip() != private_key.strip():
        raise fb.FirstbootError(f"{key_name}.key is not the key of {key_name}.cert (their public keys differ)")
    if "ca" in given:
        ca = private_file(work, "given-ca.pem", given["ca"])
        fb.run_tool(["openssl", "verify", "-CAfile", ca, "-untrusted", cert, cert],
                    f"{key_name}.ca: openssl verifying the certificate against the CA")


def install(key_name, settings, group_name):
    """Write the instance's TLS files for `settings` (from `check`; not None); the key readable by root and
    group `group_name` (the server's) only. Returns the paths {"cert", "key", "ca"}."""
    group = fb.group_id(group_name)
    if group is None:
        raise fb.FirstbootError(f"group {group_name} is missing from /etc/group; cannot give the server its TLS key")
    with tempfile.TemporaryDirectory(prefix="dibkit-tls-") as work:
        if settings:
            check_given(key_name, settings, work)
            key, cert, ca = settings["key"], settings["cert"], settings.get("ca", settings["cert"])
        else:
            key, cert = self_signed(work)
            ca = cert
    fb.make_dibkit_folder()
    os.makedirs(fb.path(FOLDER), mode=0o755, exist_ok=True)
    os.chmod(fb.path(FOLDER), 0o755)
    fb.write_file(KEY, key, mode=0o640, group=group)
    fb.write_file(CERT, cert)
    fb.write_file(CA, ca)
    how = "given" if settings else "self-signed"
    fb.log(f"{key_name}: TLS with a {how} certificate; clients trust {CA}")
    return {"cert": CERT, "key": KEY, "ca": CA}


def remove():
    """Remove the instance's TLS files (a new instance without `tls:` must not keep an old one's)."""
    for name in (KEY, CERT, CA):
        if os.path.exists(fb.path(name)):
            os.unlink(fb.path(name))
