"""GOST R 34.10-2012 (256-bit) keys, certificates and raw signatures.

This module has no Django imports, so the ESIA emulator uses it too.

Byte orders follow the conventions that CryptoPro, OpenSSL's gost-engine and
ESIA use (RFC 4491 and RFC 7091), while ``gostcrypto`` works with big-endian
numbers throughout:

- a Streebog digest is read as a little-endian integer, so the digest is
  reversed before it is passed to ``gostcrypto``;
- a signature is 64 bytes: ``s`` then ``r``, each 32 bytes big-endian
  (``gostcrypto`` returns ``r`` then ``s``);
- a public key in a certificate is 64 bytes: X then Y, each little-endian,
  wrapped in a DER OCTET STRING inside the subjectPublicKey BIT STRING;
- a private key in a PKCS#8 file is a DER OCTET STRING of 32 little-endian
  bytes, as gost-engine writes it.

The curve is id-tc26-gost-3410-2012-256-paramSetB, the same parameters as
CryptoPro-A.
"""

from __future__ import annotations

import base64
import datetime
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import gostcrypto
from pyasn1.codec.der import decoder, encoder
from pyasn1.error import PyAsn1Error
from pyasn1.type import char, univ, useful
from pyasn1_modules import rfc5208, rfc5280

KEY_SIZE = 32
CURVE_NAME = "id-tc26-gost-3410-2012-256-paramSetB"
OID_GOST_2012_256 = univ.ObjectIdentifier("1.2.643.7.1.1.1.1")
OID_SIGN_WITH_STREEBOG_256 = univ.ObjectIdentifier("1.2.643.7.1.1.3.2")
OID_STREEBOG_256 = univ.ObjectIdentifier("1.2.643.7.1.1.2.2")
OID_CRYPTOPRO_A = univ.ObjectIdentifier("1.2.643.2.2.35.1")
# Object identifiers that name the paramSetB curve in certificates.
PARAM_SET_B_OIDS = frozenset(
    {"1.2.643.2.2.35.1", "1.2.643.2.2.36.0", "1.2.643.7.1.2.1.1.2"}
)
OID_COMMON_NAME = univ.ObjectIdentifier("2.5.4.3")
OID_ORGANIZATION = univ.ObjectIdentifier("2.5.4.10")


class GostError(ValueError):
    """A key, certificate or signature that cannot be used."""


def _curve(parameters: Mapping[str, int] | None = None) -> Any:
    """Return gostcrypto's signature object for paramSetB or the given curve.

    ``parameters`` has gostcrypto's keys ``p``, ``a``, ``b``, ``m``, ``q``,
    ``x`` and ``y``; tests pass the example curve of the standard.
    """
    return gostcrypto.gostsignature.new(
        gostcrypto.gostsignature.MODE_256,
        dict(
            parameters
            or gostcrypto.gostsignature.CURVES_R_1323565_1_024_2019[CURVE_NAME]
        ),
    )


def streebog256(data: bytes) -> bytes:
    """Hash with GOST R 34.11-2012 (Streebog), 256-bit output, in output order."""
    return bytes(gostcrypto.gosthash.new("streebog256", data=data).digest())


def certificate_hash(certificate_der: bytes) -> str:
    """Return the uppercase hex Streebog-256 of a DER certificate.

    ESIA expects this value in the ``client_certificate_hash`` parameter.
    """
    return streebog256(certificate_der).hex().upper()


def sign_digest(
    private_key: bytes,
    digest: bytes,
    *,
    curve: Mapping[str, int] | None = None,
    k: bytes = b"",
) -> bytes:
    """Sign a digest and return the 64-byte ``s || r`` signature.

    ``private_key`` and ``digest`` (the number e of the standard, before the
    reduction mod q) are 32 bytes big-endian. ``k`` is the random number of
    the standard, 32 bytes big-endian; empty means a fresh random one, and
    only tests of the standard's example pass it.
    """
    raw = bytes(
        _curve(curve).sign(bytearray(private_key), bytearray(digest), bytearray(k))
    )
    r_part, s_part = raw[:KEY_SIZE], raw[KEY_SIZE:]
    return s_part + r_part


def verify_digest(
    public_key: bytes,
    digest: bytes,
    signature: bytes,
    *,
    curve: Mapping[str, int] | None = None,
) -> bool:
    """Check an ``s || r`` signature of a big-endian digest; see sign_digest."""
    if len(signature) != 2 * KEY_SIZE or len(public_key) != 2 * KEY_SIZE:
        return False
    reordered = signature[KEY_SIZE:] + signature[:KEY_SIZE]
    try:
        return bool(
            _curve(curve).verify(
                bytearray(public_key), bytearray(digest), bytearray(reordered)
            )
        )
    except gostcrypto.gostsignature.GOSTSignatureError:
        return False


def sign(private_key: bytes, message: bytes) -> bytes:
    """Sign ``message`` and return the 64-byte ``s || r`` signature.

    ``private_key`` is 32 bytes, big-endian.
    """
    return sign_digest(private_key, streebog256(message)[::-1])


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """Check a 64-byte ``s || r`` signature against a big-endian X || Y key."""
    return verify_digest(public_key, streebog256(message)[::-1], signature)


def generate_private_key() -> bytes:
    """Return a random private key: 32 bytes, big-endian, in [1, q - 1]."""
    order = gostcrypto.gostsignature.CURVES_R_1323565_1_024_2019[CURVE_NAME]["q"]
    value = secrets.randbelow(order - 1) + 1
    return value.to_bytes(KEY_SIZE, "big")


def public_key_of(
    private_key: bytes, *, curve: Mapping[str, int] | None = None
) -> bytes:
    """Return the big-endian X || Y public key of a private key."""
    return bytes(_curve(curve).public_key_generate(bytearray(private_key)))


def _key_parameters() -> univ.Sequence:
    parameters = univ.Sequence()
    parameters.setComponentByPosition(0, OID_CRYPTOPRO_A)
    parameters.setComponentByPosition(1, OID_STREEBOG_256)
    return parameters


def _key_algorithm() -> rfc5280.AlgorithmIdentifier:
    algorithm = rfc5280.AlgorithmIdentifier()
    algorithm["algorithm"] = OID_GOST_2012_256
    algorithm["parameters"] = encoder.encode(_key_parameters())
    return algorithm


def _little_endian_halves(key: bytes) -> bytes:
    return key[:KEY_SIZE][::-1] + key[KEY_SIZE:][::-1]


def _pem(label: str, der: bytes) -> str:
    body = base64.encodebytes(der).decode("ascii").replace("\n", "")
    lines = [body[index : index + 64] for index in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"])


def pem_to_der(pem: str, label: str) -> bytes:
    """Decode the first PEM block with the given label."""
    begin, end = f"-----BEGIN {label}-----", f"-----END {label}-----"
    start = pem.find(begin)
    stop = pem.find(end, start)
    if start < 0 or stop < 0:
        raise GostError(f"No PEM block '{label}' found.")
    try:
        return base64.b64decode("".join(pem[start + len(begin) : stop].split()))
    except ValueError as error:
        raise GostError(f"The PEM block '{label}' is not valid base64.") from error


def private_key_to_pem(private_key: bytes) -> str:
    """Encode a private key as PKCS#8 PEM (``PRIVATE KEY``)."""
    info = rfc5208.PrivateKeyInfo()
    info["version"] = 0
    info["privateKeyAlgorithm"] = _key_algorithm()
    info["privateKey"] = encoder.encode(univ.OctetString(private_key[::-1]))
    return _pem("PRIVATE KEY", encoder.encode(info)) + "\n"


def private_key_from_pem(pem: str) -> bytes:
    """Decode a PKCS#8 PEM written by :func:`private_key_to_pem`."""
    try:
        info, _ = decoder.decode(
            pem_to_der(pem, "PRIVATE KEY"), asn1Spec=rfc5208.PrivateKeyInfo()
        )
        if info["privateKeyAlgorithm"]["algorithm"] != OID_GOST_2012_256:
            raise GostError("The private key is not a GOST R 34.10-2012 256-bit key.")
        inner, _ = decoder.decode(bytes(info["privateKey"]))
    except (ValueError, TypeError, PyAsn1Error) as error:
        raise GostError("The private key file cannot be decoded.") from error
    key = bytes(inner)[::-1] if isinstance(inner, univ.OctetString) else b""
    if len(key) != KEY_SIZE:
        raise GostError("The private key must be 32 bytes long.")
    return key


def _name(common_name: str, organization: str) -> rfc5280.Name:
    rdns = rfc5280.RDNSequence()
    for position, (oid, value) in enumerate(
        [(OID_ORGANIZATION, organization), (OID_COMMON_NAME, common_name)]
    ):
        attribute = rfc5280.AttributeTypeAndValue()
        attribute["type"] = oid
        attribute["value"] = encoder.encode(char.UTF8String(value))
        rdn = rfc5280.RelativeDistinguishedName()
        rdn.setComponentByPosition(0, attribute)
        rdns.setComponentByPosition(position, rdn)
    name = rfc5280.Name()
    name.setComponentByName("rdnSequence", rdns)
    return name


def _time(moment: datetime.datetime) -> rfc5280.Time:
    value = rfc5280.Time()
    value["utcTime"] = useful.UTCTime(moment.strftime("%y%m%d%H%M%SZ"))
    return value


def build_self_signed_certificate(
    private_key: bytes,
    common_name: str,
    organization: str,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
) -> bytes:
    """Build a self-signed X.509 v3 certificate for the key; return its DER.

    The certificate carries a GOST R 34.10-2012 256-bit public key and is
    signed with GOST R 34.10-2012 over Streebog-256, the pair that ESIA's test
    environment accepts for a self-signed information-system certificate.
    """
    signature_algorithm = rfc5280.AlgorithmIdentifier()
    signature_algorithm["algorithm"] = OID_SIGN_WITH_STREEBOG_256

    key_info = rfc5280.SubjectPublicKeyInfo()
    key_info["algorithm"] = _key_algorithm()
    wrapped_key = encoder.encode(
        univ.OctetString(_little_endian_halves(public_key_of(private_key)))
    )
    key_info["subjectPublicKey"] = univ.BitString.fromOctetString(wrapped_key)

    validity = rfc5280.Validity()
    validity["notBefore"] = _time(not_before)
    validity["notAfter"] = _time(not_after)

    tbs = rfc5280.TBSCertificate()
    tbs["version"] = 2
    tbs["serialNumber"] = secrets.randbits(63) + 1
    tbs["signature"] = signature_algorithm
    tbs["issuer"] = _name(common_name, organization)
    tbs["validity"] = validity
    tbs["subject"] = _name(common_name, organization)
    tbs["subjectPublicKeyInfo"] = key_info
    tbs_der = encoder.encode(tbs)

    certificate = rfc5280.Certificate()
    certificate["tbsCertificate"] = tbs
    certificate["signatureAlgorithm"] = signature_algorithm
    certificate["signature"] = univ.BitString.fromOctetString(
        sign(private_key, tbs_der)
    )
    return encoder.encode(certificate)


def certificate_to_pem(certificate_der: bytes) -> str:
    return _pem("CERTIFICATE", certificate_der) + "\n"


@dataclass(frozen=True)
class CertificateInfo:
    """The parts of a GOST certificate that signature checks need."""

    der: bytes
    public_key: bytes  # big-endian X || Y
    not_before: datetime.datetime
    not_after: datetime.datetime

    def is_valid_at(self, moment: datetime.datetime) -> bool:
        return self.not_before <= moment <= self.not_after

    def verifies_itself(self) -> bool:
        """Check the certificate's signature with its own key (self-signed)."""
        certificate, _ = decoder.decode(self.der, asn1Spec=rfc5280.Certificate())
        tbs_der = encoder.encode(certificate["tbsCertificate"])
        return verify(self.public_key, tbs_der, certificate["signature"].asOctets())


def _as_datetime(value: rfc5280.Time) -> datetime.datetime:
    chosen = value.getComponent()
    return chosen.asDateTime.astimezone(datetime.UTC)


def load_certificate(pem_or_der: str | bytes) -> CertificateInfo:
    """Parse a GOST R 34.10-2012 256-bit certificate given as PEM or DER."""
    if isinstance(pem_or_der, str):
        der = pem_to_der(pem_or_der, "CERTIFICATE")
    else:
        der = pem_or_der
    try:
        certificate, _ = decoder.decode(der, asn1Spec=rfc5280.Certificate())
        tbs = certificate["tbsCertificate"]
        key_info = tbs["subjectPublicKeyInfo"]
        if key_info["algorithm"]["algorithm"] != OID_GOST_2012_256:
            raise GostError("The certificate key is not GOST R 34.10-2012 256-bit.")
        parameters, _ = decoder.decode(bytes(key_info["algorithm"]["parameters"]))
        if str(parameters[0]) not in PARAM_SET_B_OIDS:
            raise GostError(f"The certificate curve {parameters[0]} is not supported.")
        wrapped, _ = decoder.decode(key_info["subjectPublicKey"].asOctets())
        key = bytes(wrapped)
        validity = tbs["validity"]
        not_before = _as_datetime(validity["notBefore"])
        not_after = _as_datetime(validity["notAfter"])
    except (ValueError, TypeError, LookupError, PyAsn1Error) as error:
        raise GostError("The certificate cannot be decoded.") from error
    if len(key) != 2 * KEY_SIZE:
        raise GostError("The certificate public key must be 64 bytes long.")
    return CertificateInfo(
        der=der,
        public_key=_little_endian_halves(key),
        not_before=not_before,
        not_after=not_after,
    )
