# One image for both apps; docker-compose.yml picks the uWSGI section.
#
# python:3.11-slim has no C compiler, so every dependency installs from a binary wheel
# (--only-binary=:all:); uWSGI among them as pyuwsgi, the uWSGI project's wheel of the same
# server (setup.cfg: local installs use it too, so the test suite runs what the image runs).
# tests/e2e/test_image.py runs this build on the host the same way, without Docker.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.cfg README.md ./
COPY api api
COPY frontend frontend
COPY identifiers identifiers
COPY observability observability
COPY settings settings
# Install the dependencies into a virtualenv where the runtime stage keeps it, .venv beside
# the source as in a checkout (uwsgi.ini re-executes its Python on a reload), then drop the
# package itself: the image runs the source tree below, beside its migrations/.
RUN python -m venv /srv/tessera/.venv \
    && /srv/tessera/.venv/bin/pip install --no-cache-dir --only-binary=:all: . \
    && /srv/tessera/.venv/bin/pip uninstall --yes tessera

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /srv/tessera tessera
COPY --from=build /srv/tessera/.venv /srv/tessera/.venv
WORKDIR /srv/tessera
COPY uwsgi.ini ./
COPY api api
COPY frontend frontend
COPY identifiers identifiers
COPY observability observability
COPY settings settings
COPY migrations migrations
RUN mkdir instance && chown tessera instance
USER tessera
ENV PATH=/srv/tessera/.venv/bin:$PATH PYTHONPATH=/srv/tessera TESSERA_ENV=production
EXPOSE 3031
CMD ["uwsgi", "--ini", "uwsgi.ini:api"]
