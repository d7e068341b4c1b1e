"""The keys of a grading cluster: mutual TLS, with a certificate authority that only the instructor holds.

`bpcourse cluster-keys DIR` makes them (`make_keys`); `bpcourse grade --scheduler tls://... --cluster-keys DIR`
loads the instructor's side (`load_keys`). Dask checks both ends of every connection against the CA
(`ssl.CERT_REQUIRED` on the scheduler, the workers and the client), so a process without a certificate signed by it
cannot join the cluster, submit work or read results. Host names are not checked (Dask's choice: clusters are
addressed by IP), so the CA must be the cluster's own, never a public one.

Files in DIR:

| file | who holds it |
|---|---|
| `ca.pem` | everyone in the cluster (the certificate that signs the others; public) |
| `ca-key.pem` | the instructor only, offline if possible: whoever holds it can mint members |
| `cluster.pem`, `cluster-key.pem` | the scheduler and every worker machine |
| `instructor.pem`, `instructor-key.pem` | the machine that runs `bpcourse grade` |
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from grader.errors import CourseError

CA, CA_KEY = "ca.pem", "ca-key.pem"
NODE, NODE_KEY = "cluster.pem", "cluster-key.pem"
CLIENT, CLIENT_KEY = "instructor.pem", "instructor-key.pem"
ALL_FILES = (CA, CA_KEY, NODE, NODE_KEY, CLIENT, CLIENT_KEY)


@dataclass(frozen=True)
class ClusterKeys:
    """The paths of one cluster's certificates and keys."""

    folder: Path

    def path(self, name: str) -> str:
        return str(self.folder / name)

    def client_security(self):
        """The instructor's side: a client certificate signed by the CA, encryption required."""
        from distributed.security import Security

        return Security(
            tls_ca_file=self.path(CA),
            tls_client_cert=self.path(CLIENT),
            tls_client_key=self.path(CLIENT_KEY),
            require_encryption=True,
        )

    def node_security(self):
        """The scheduler's and the workers' side (what `dask scheduler/worker --tls-*` set; tests use it)."""
        from distributed.security import Security

        cert, key = self.path(NODE), self.path(NODE_KEY)
        return Security(
            tls_ca_file=self.path(CA),
            tls_scheduler_cert=cert,
            tls_scheduler_key=key,
            tls_worker_cert=cert,
            tls_worker_key=key,
            tls_client_cert=cert,  # a worker is also a client of the scheduler
            tls_client_key=key,
            require_encryption=True,
        )

    def commands(self, host: str = "SCHEDULER-HOST") -> list[str]:
        """The commands that start a scheduler and a worker with these keys (copied to each machine)."""
        tls = f"--tls-ca-file {CA} --tls-cert {NODE} --tls-key {NODE_KEY}"
        return [
            f"dask scheduler --protocol tls --host {host} --port 8786 --dashboard-address 127.0.0.1:8787 {tls}",
            f"dask worker tls://{host}:8786 --nworkers 2 --nthreads 1 {tls}",
            f"bpcourse grade SUBMISSIONS --workspace WS --scheduler tls://{host}:8786 --cluster-keys {self.folder}",
        ]


def local_cluster(keys: ClusterKeys, workers: int):
    """A Dask LocalCluster on 127.0.0.1 secured with `keys`, one thread per worker process as deploy/README.md runs
    them (tests and benchmarks use it; a real cluster is started with `dask scheduler/worker --tls-*`)."""
    from distributed import LocalCluster

    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        protocol="tls://",
        security=keys.node_security(),
        dashboard_address=None,
    )


def make_keys(folder: Path, days: int = 180) -> ClusterKeys:
    """A new CA and the two certificates it signs, written to `folder` (created; never overwrites a key)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID as _EKU

    folder.mkdir(parents=True, exist_ok=True)
    existing = [name for name in ALL_FILES if (folder / name).exists()]
    if existing:
        held = ", ".join(existing)
        raise CourseError(f"{folder} already holds {held}: keys are never overwritten; pick a new folder.")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "bpcourse grading cluster CA")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), now, days)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(*_usage(cert_sign=True)), critical=True)
        .sign(ca_key, _sha256())
    )
    _write_key(folder / CA_KEY, ca_key)
    _write_cert(folder / CA, ca_cert)
    members = ((NODE, NODE_KEY, "bpcourse cluster node"), (CLIENT, CLIENT_KEY, "bpcourse instructor"))
    for cert_name, key_name, common_name in members:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, common_name)])
        cert = (
            _builder(subject, ca_name, key.public_key(), now, days)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(*_usage(cert_sign=False)), critical=True)
            .add_extension(x509.ExtendedKeyUsage([_EKU.SERVER_AUTH, _EKU.CLIENT_AUTH]), critical=False)
            .sign(ca_key, _sha256())
        )
        _write_key(folder / key_name, key)
        _write_cert(folder / cert_name, cert)
    return ClusterKeys(folder)


def load_keys(folder: Path | str | None) -> ClusterKeys:
    """The instructor's keys in `folder`; a clear error when the folder or a file is missing."""
    if not folder:
        raise CourseError(
            "--scheduler needs --cluster-keys DIR: the cluster's certificates (make them with `bpcourse cluster-keys "
            "DIR`, see deploy/README.md)."
        )
    keys = ClusterKeys(Path(folder))
    missing = [name for name in (CA, CLIENT, CLIENT_KEY) if not (keys.folder / name).is_file()]
    if missing:
        raise CourseError(f"{folder}: missing {', '.join(missing)} (made by `bpcourse cluster-keys DIR`).")
    return keys


def check_scheduler_address(address: str) -> str:
    """The address if it is a TLS one; a clear refusal of a plain `tcp://` (or any other) address."""
    if not address.startswith("tls://"):
        raise CourseError(
            f"{address}: the grading cluster must use mutual TLS (an address starting with tls://). A plain tcp:// "
            "scheduler lets anyone who reaches its port run code on the workers and change grades; start it with "
            "the keys of `bpcourse cluster-keys` (deploy/README.md)."
        )
    return address


def _builder(subject, issuer, public_key, now: datetime.datetime, days: int):
    from cryptography import x509

    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # clocks of the cluster's machines differ a little
        .not_valid_after(now + datetime.timedelta(days=days))
    )


def _usage(cert_sign: bool) -> tuple[bool, ...]:
    """x509.KeyUsage's nine flags: digital_signature, content_commitment, key_encipherment, data_encipherment,
    key_agreement, key_cert_sign, crl_sign, encipher_only, decipher_only."""
    return (not cert_sign, False, False, False, not cert_sign, cert_sign, cert_sign, False, False)


def _sha256():
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def _write_key(path: Path, key) -> None:
    """A private key, readable by its owner only from the moment it exists."""
    from cryptography.hazmat.primitives import serialization

    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def _write_cert(path: Path, cert) -> None:
    from cryptography.hazmat.primitives import serialization

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
