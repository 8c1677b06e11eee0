#!/usr/bin/env python3
"""Makes the DKIM known-answer vectors in this folder with dkimpy, an implementation
independent of prov-dkim: emails signed by it, the key records to verify them, and what
dkimpy itself reads from and concludes about each signature (cases.json).

    python3 -m pip install dkimpy==1.1.8 pynacl   # ed25519 signing needs PyNaCl
    python3 dkim/tests/vectors/make.py            # from the repository's root

The keys in keys/ are test keys made for these vectors (kept so that a run makes the same
files: RSA PKCS #1 v1.5 and Ed25519 signatures are deterministic, and the signing time is
fixed). Never use them for anything else."""

import base64, json, os, subprocess, time
from email.message import EmailMessage
from email import policy
import dkim
import dkim.util
import nacl.signing

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "keys")
SIGNED_AT = 1494000000  # 2017-05-05T16:00:00Z: the t= of every signature

dkim.time.time = lambda: SIGNED_AT


def rsa_key(name, bits):
    pem = os.path.join(KEYS, name + ".pem")
    if not os.path.exists(pem):
        subprocess.run(["openssl", "genrsa", "-traditional", "-out", pem, str(bits)], check=True,
                       stderr=subprocess.DEVNULL)
    der = subprocess.run(["openssl", "rsa", "-in", pem, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    record = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    return open(pem, "rb").read(), record


def ed_key(name):
    path = os.path.join(KEYS, name + ".seed")
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(base64.b64encode(os.urandom(32)).decode() + "\n")
    seed = open(path).read().strip().encode()
    public = nacl.signing.SigningKey(seed, encoder=nacl.encoding.Base64Encoder).verify_key
    return seed, "v=DKIM1; k=ed25519; p=" + base64.b64encode(bytes(public)).decode()


def message(crlf):
    m = EmailMessage()
    m["From"] = "Alice Martin <alice@mail.example.org>"
    m["To"] = "bob@example.net"
    m["Subject"] = "Re: les comptes du trimestre, version définitive avec les annexes et les tableaux"
    m["Date"] = "Fri, 05 May 2017 17:59:01 +0200"
    m["Message-ID"] = "<20170505155901.4242@mail.example.org>"
    m.set_content("Bonjour Bob,\n\nVoici les comptes.  Deux espaces ici, \tune tabulation.\n\nAlice\n\n\n")
    attachment = bytes(range(256)) * 40
    m.add_attachment(attachment, maintype="application", subtype="octet-stream",
                     filename="comptes-2017.xlsx")
    m.set_boundary("=_prov-dkim-vector_=")
    return m.as_bytes(policy=policy.SMTP if crlf else policy.default)


def main():
    os.makedirs(KEYS, exist_ok=True)
    rsa2048, rsa2048_txt = rsa_key("rsa2048", 2048)
    rsa512, rsa512_txt = rsa_key("rsa512", 512)
    ed, ed_txt = ed_key("ed25519")
    records = {"rsa2048": rsa2048_txt, "rsa512": rsa512_txt, "ed25519": ed_txt}
    for name, txt in records.items():
        with open(os.path.join(HERE, name + ".txt"), "w") as f:
            f.write(txt + "\n")
    selectors = {"rsa2048": b"may2017", "rsa512": b"old", "ed25519": b"brisbane"}
    keys = {"rsa2048": rsa2048, "rsa512": rsa512, "ed25519": ed}
    algs = {"rsa2048": b"rsa-sha256", "rsa512": b"rsa-sha256", "ed25519": b"ed25519-sha256"}

    # name: (crlf, [(key, canonicalization, algorithm override, length)], then)
    cases = {
        "relaxed-rsa": (True, [("rsa2048", b"relaxed/relaxed", None, False)], None),
        "simple-rsa-lf": (False, [("rsa2048", b"simple/simple", None, False)], None),
        "ed25519": (True, [("ed25519", b"relaxed/relaxed", None, False)], None),
        "sha1": (True, [("rsa2048", b"relaxed/simple", b"rsa-sha1", False)], None),
        "length": (True, [("rsa2048", b"relaxed/relaxed", None, True)], b"Appended after signing.\r\n"),
        "weak512": (True, [("rsa512", b"relaxed/relaxed", None, False)], None),
        "two": (True, [("ed25519", b"relaxed/relaxed", None, False),
                       ("rsa2048", b"simple/simple", None, False)], None),
    }
    out = []
    for name, (crlf, sigs, then) in cases.items():
        msg = message(crlf)
        for key, c, alg, length in sigs:
            header = dkim.sign(msg, selectors[key], b"mail.example.org", keys[key],
                               canonicalize=tuple(c.split(b"/")),
                               signature_algorithm=alg or algs[key], length=length,
                               include_headers=[b"from", b"to", b"subject", b"date", b"message-id"],
                               linesep=b"\r\n" if crlf else b"\n")
            msg = header + msg
        if then:
            msg += then
        path = name + ".eml"
        with open(os.path.join(HERE, path), "wb") as f:
            f.write(msg)
        out.append({"file": path, "signatures": [describe(msg, i, key, records)
                                                  for i, (key, *_rest) in enumerate(reversed(sigs))]})
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


def describe(msg, index, key, records):
    """dkimpy's reading of the index-th DKIM-Signature (top first) and its verdict."""
    d = dkim.DKIM(msg, minkey=512)
    fields = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
    unfolded = fields[index].replace(b"\r\n", b"").replace(b"\n", b"")
    tags = dkim.util.parse_tag_value(unfolded)
    dns = lambda name, timeout=5: records[key].encode()
    return {
        "key": key,
        "tags": {k.decode(): v.decode() for k, v in tags.items()},
        "dkimpy_verifies": bool(d.verify(idx=index, dnsfunc=dns)),
    }


if __name__ == "__main__":
    main()
