"""With a certificate and key in the settings, the API answers over HTTPS only."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest

from services.runtime.settings import load_settings
from tests.integration.api.conftest import serving


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_the_api_serves_https_with_the_configured_certificate(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    settings = load_settings(
        home=tmp_path / "home",
        kafka_bootstrap_servers="127.0.0.1:9",  # never reached: no route here uses the broker
        api_tls_cert_file=cert,
        api_tls_key_file=key,
    )
    for url in serving(settings):
        https = url.replace("http://", "https://")
        trusted = ssl.create_default_context(cafile=str(cert))
        answer = httpx.get(f"{https}/openapi.json", verify=trusted)
        assert answer.status_code == 200
        assert answer.json()["info"]["title"] == "Referral Backbone agency API"
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{url}/openapi.json")  # plain HTTP is not spoken
