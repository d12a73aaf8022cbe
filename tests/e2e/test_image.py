"""The Docker image, built and run on this machine the way Docker would, without Docker.

python:3.11-slim has no C compiler, so the Dockerfile's build stage installs every
dependency from a binary wheel (``--only-binary=:all:``). The ``image`` fixture replays
the Dockerfile: it copies what each stage copies and runs the build stage's commands, the
image's absolute paths moved under a temporary root (``/srv/tessera`` becomes
``<tmp>/srv/tessera``), with this machine's Python of the image's version and with pip
seeing the package index alone (none of this machine's pip configuration, wheel folders or
caps). The runtime stage then gets only what it copies, and runs as docker-compose.yml
runs it. A dependency that would need a compiler, a file the runtime stage forgets or a
reload that cannot start fails here. Without the package index it skips (on CI, fails).
"""
from __future__ import annotations

import os
import platform
import re
import secrets
import shlex
import shutil
import socket
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import yaml

from tests.live import free_port, reload_gracefully, uwsgi_server
from tests.services import require

ROOT = Path(__file__).resolve().parent.parent.parent
#: Top-level directories of this machine that an image path is never moved from.
HOST_DIRS = {"bin", "dev", "etc", "lib", "proc", "sys", "tmp", "usr", "var"}
#: The PATH of the python images, before the Dockerfile's ENV.
IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: This machine's pip settings that say where the index is and how to reach it; the rest
#: (extra indexes, wheel folders, constraints) would install what the image would not get.
PIP_TRANSPORT = {"PIP_INDEX_URL", "PIP_CERT", "PIP_CLIENT_CERT", "PIP_TRUSTED_HOST",
                 "PIP_PROXY", "PIP_DEFAULT_TIMEOUT", "PIP_RETRIES",
                 "PIP_DISABLE_PIP_VERSION_CHECK"}
#: The platforms Docker builds the image for on most machines (amd64, arm64), but this
#: machine's, which the ``image`` fixture installs for.
OTHER_PLATFORMS = [machine for machine in ("x86_64", "aarch64")
                   if machine != platform.machine()]
#: The oldest glibc of the python:3.11-slim bases (Debian 12).
GLIBC_MINOR = 36


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (INSTRUCTION, arguments)."""
    stages: list[list[tuple[str, str]]] = []
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            if instruction.upper() == "FROM":
                stages.append([])
            stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def pip_env() -> dict[str, str]:
    """This process's environment for pip, as in a docker build: the package index alone."""
    env = {name: value for name, value in os.environ.items()
           if (not name.startswith("PIP_") or name in PIP_TRANSPORT)
           and name not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PIP_CONFIG_FILE"] = os.devnull  # no pip.conf of this machine's
    bundle = os.environ.get("SSL_CERT_FILE") or os.environ.get("REQUESTS_CA_BUNDLE")
    if "PIP_CERT" not in env and bundle:
        env["PIP_CERT"] = bundle  # the CA store this machine's network needs, nothing more
    return env


def index_reachable() -> bool:
    probe = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "pip",
                            "--timeout", "10", "--retries", "1"],
                           env=pip_env(), capture_output=True, text=True)
    return probe.returncode == 0


def python_of_version(version: str) -> str | None:
    """A Python of this machine at ``version`` (the image's), outside any virtualenv."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return getattr(sys, "_base_executable", sys.executable)
    return shutil.which(f"python{version}")


def copy_in(source: Path, target: Path) -> None:
    """COPY ``source`` (of the repository, the build context) to ``target``."""
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, target)


@dataclass
class Image:
    """The Dockerfile replayed under ``root``, each of the image's own paths moved there."""
    root: Path
    stages: list[list[tuple[str, str]]]
    python: str
    env: dict[str, str] = field(default_factory=dict)
    workdir: Path | None = None

    def __post_init__(self):
        arguments = " ".join(args for stage in self.stages for _, args in stage)
        dirs = set(re.findall(r"(?<![\w.$/-])/([\w.-]+)", arguments)) - HOST_DIRS
        self._own = re.compile(r"(?<![\w.$/-])/(%s)(?=[/\s:]|$)"
                               % "|".join(map(re.escape, sorted(dirs))))

    def path(self, text: str) -> str:
        """``text`` with every path of the image's own moved under ``root``."""
        return self._own.sub(lambda match: f"{self.root}/{match.group(1)}", text)

    def build(self) -> None:
        """Replay the build stage (the first), running its commands."""
        shim = self.root.parent / "shim"
        shim.mkdir()
        (shim / "python").symlink_to(self.python)  # `python` is the image's Python
        # No C compiler in the image: no source build either, whatever the Dockerfile says.
        self.env = {**pip_env(), "PATH": f"{shim}:{IMAGE_PATH}", "PIP_ONLY_BINARY": ":all:"}
        self.replay(self.stages[0], run=True)

    def run_stage(self) -> None:
        """Replay the runtime stage (the last) on a root holding only what it copies in."""
        stage = self.stages[-1]
        kept = self.root.parent / "kept"
        kept.mkdir()
        copied = [self.copy_from(args) for instruction, args in stage
                  if instruction == "COPY" and args.startswith("--from=")]
        for number, path in enumerate(copied):
            shutil.move(path, kept / str(number))
        shutil.rmtree(self.root)
        for number, path in enumerate(copied):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(kept / str(number), path)
        self.env = {"PATH": IMAGE_PATH, "LANG": "C.UTF-8", "HOME": str(self.root)}
        self.workdir = None
        self.replay(stage, run=False)

    def copy_from(self, arguments: str) -> str:
        """The path a COPY --from keeps: a virtualenv must stay where it was made."""
        _, source, destination = arguments.split()
        assert source == destination, f"COPY {arguments}: a virtualenv cannot move"
        return self.path(source)

    def replay(self, stage: list[tuple[str, str]], run: bool) -> None:
        for instruction, arguments in stage:
            if instruction == "WORKDIR":
                self.workdir = Path(self.path(arguments))
                self.workdir.mkdir(parents=True, exist_ok=True)
            elif instruction == "COPY" and not arguments.startswith("--from="):
                *sources, destination = arguments.split()
                target = self.workdir / self.path(destination)
                for source in sources:
                    copy_in(ROOT / source, target)
            elif instruction == "ENV":
                for pair in shlex.split(arguments):
                    name, _, value = pair.partition("=")
                    value = re.sub(r"\$(\w+)", lambda m: self.env.get(m.group(1), ""), value)
                    self.env[name] = self.path(value)
            elif instruction == "RUN" and run:
                self.run(arguments)

    def run(self, command: str) -> None:
        for step in command.split("&&"):
            program = shlex.split(step)[0]
            assert program == "python" or program.endswith("/pip"), (
                f"test_image.py replays python and pip commands only, not {step.strip()!r}")
        # pip's cache only saves downloads here: what gets installed is the same.
        command = self.path(command).replace(" --no-cache-dir", "")
        result = subprocess.run(["sh", "-c", command], cwd=self.workdir,
                                env=self.env, capture_output=True, text=True)
        if result.returncode:
            pytest.fail(f"RUN {command}\nfailed:\n{result.stderr[-5000:]}")


def image_python_version(stages: list[list[tuple[str, str]]]) -> str:
    return re.match(r"python:(\d+\.\d+)", stages[0][0][1]).group(1)


@pytest.fixture(scope="module")
def index() -> None:
    require(index_reachable(), "the package index (PyPI)")


@pytest.fixture(scope="module")
def image(index, tmp_path_factory) -> Image:
    """The image's runtime filesystem under a temporary root, built as the Dockerfile says."""
    stages = dockerfile_stages()
    version = image_python_version(stages)
    python = python_of_version(version)
    if python is None:
        pytest.skip(f"no Python {version} (the image's) on this machine")
    image = Image(tmp_path_factory.mktemp("image") / "root", stages, python)
    image.build()
    image.run_stage()
    return image


def run_in(image: Image, *command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=image.workdir, env=image.env, capture_output=True,
                          text=True)


def test_the_image_has_uwsgi_and_every_dependency(image):
    version = run_in(image, "uwsgi", "--version")
    assert version.returncode == 0, version.stderr
    assert re.fullmatch(r"2\.0\.\d+\S*\n", version.stdout)
    check = run_in(image, "pip", "check")
    assert check.returncode == 0, check.stdout
    imports = run_in(image, "python", "-c", "import flask, flask_sqlalchemy, flask_migrate, "
                     "authlib, cryptography, psycopg2, argon2, marshmallow, apispec, redis, "
                     "prometheus_client, flask_wtf, email_validator, requests, pyuwsgi; "
                     "import api.app, frontend.app, observability")
    assert imports.returncode == 0, imports.stderr
    assert run_in(image, "pip", "show", "tessera").returncode != 0  # the source runs


def compose_env(service: str, values: dict[str, str]) -> dict[str, str]:
    """docker-compose.yml's environment for ``service``, its ${...} filled from ``values``."""
    def fill(match: re.Match) -> str:
        name, operator, default = match.groups()
        return values.get(name, default if operator == ":-" else "")

    environment = yaml.safe_load((ROOT / "docker-compose.yml").read_text())[
        "services"][service]["environment"]
    return {name: re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", fill, str(value))
            for name, value in environment.items()}


def compose_command(service: str) -> list[str]:
    return shlex.split(yaml.safe_load((ROOT / "docker-compose.yml").read_text())[
        "services"][service]["command"])


def uwsgi_get(address: str, path: str) -> int:
    """GET ``path`` over the uwsgi protocol, as nginx's uwsgi_pass does; the HTTP status."""
    variables = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
                 "SERVER_PROTOCOL": "HTTP/1.1", "SERVER_NAME": "localhost",
                 "SERVER_PORT": "8080", "HTTP_HOST": "localhost:8080",
                 "REMOTE_ADDR": "127.0.0.1", "UWSGI_SCHEME": "http"}
    body = b"".join(struct.pack("<H", len(k)) + k.encode() + struct.pack("<H", len(v))
                    + v.encode() for k, v in variables.items())
    host, port = address.rsplit(":", 1)
    response = b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(struct.pack("<BHB", 0, len(body), 0) + body)
        while chunk := sock.recv(65536):
            response += chunk
    return int(response.split(b" ", 2)[1])


def test_the_image_runs_as_docker_compose_runs_it(image, tmp_path):
    """Migrations then uWSGI for the api (its uwsgi socket, its health port, a reload),
    and the frontend, each with compose's environment on loopback addresses and SQLite."""
    values = {"SECRET_KEY": secrets.token_urlsafe(48),
              "FRONTEND_API_KEY": secrets.token_urlsafe(32), "POSTGRES_PASSWORD": "unused"}
    socket_address, health = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    sqlite = f"sqlite:///{tmp_path / 'tessera.db'}"  # for compose's runtime and owner roles
    api_env = {**image.env, **compose_env("api", values), "TESSERA_WORKERS": "2",
               "DATABASE_URL": sqlite, "DATABASE_ADMIN_URL": sqlite,
               "API_SOCKET": socket_address, "API_HEALTH_HTTP": health}
    with uwsgi_server(compose_command("api"), api_env, f"http://{health}", timeout=90,
                      cwd=image.workdir) as api:
        ready = requests.get(f"{api.url}/health/ready", timeout=10)
        assert ready.status_code == 200, ready.text  # migrated by `flask --app api db upgrade`
        assert uwsgi_get(socket_address, "/health") == 200
        reload_gracefully(api)  # the master re-executes the image's .venv/bin/python
        assert uwsgi_get(socket_address, "/health/ready") == 200

        frontend_port = free_port()
        frontend_env = {**image.env, **compose_env("frontend", values),
                        "TESSERA_WORKERS": "2", "API_INTERNAL_URL": api.url,
                        "FRONTEND_HTTP": f"127.0.0.1:{frontend_port}"}
        # HTTP rather than its uwsgi socket (the api's is tried above); compose's Redis is
        # no part of the image.
        del frontend_env["FRONTEND_SOCKET"], frontend_env["REDIS_URL"]
        with uwsgi_server(compose_command("frontend"), frontend_env,
                          f"http://127.0.0.1:{frontend_port}", timeout=60,
                          cwd=image.workdir) as frontend:
            page = requests.get(frontend.url, timeout=10)
            assert page.status_code == 200 and "Tessera" in page.text


@pytest.mark.parametrize("machine", OTHER_PLATFORMS)
def test_every_dependency_has_a_wheel_for(machine, index, tmp_path):
    """Docker builds for the machine it runs on: amd64, or arm64 (e.g. Apple silicon)."""
    stages = dockerfile_stages()
    build = stages[0]
    commands = [shlex.split(step) for instruction, args in build if instruction == "RUN"
                for step in args.split("&&")]
    install = next(command for command in commands
                   if command[0].endswith("/pip") and command[1] == "install")
    assert "--only-binary=:all:" in install, "the build stage must refuse source builds"
    context = Image(tmp_path / "root", stages, python="")
    context.replay(build, run=False)  # the build stage's files, not its commands
    platforms = [f"--platform=manylinux_2_{minor}_{machine}"
                 for minor in range(17, GLIBC_MINOR + 1)] + [f"--platform=manylinux2014_{machine}"]
    result = subprocess.run(
        [sys.executable, "-m", "pip", *install[1:], "--dry-run", "--ignore-installed",
         "--target", str(tmp_path / "target"), "--implementation=cp",
         f"--python-version={image_python_version(stages)}", *platforms],
        cwd=context.workdir, env=pip_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-5000:]
    assert re.search(r"Would install .*\bpyuwsgi-2\.0", result.stdout), result.stdout
